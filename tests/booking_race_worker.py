"""A separate process that signs members up concurrently (used by test_booking_race.py).

    python tests/booking_race_worker.py DATABASE_URL SESSION_ID USER_ID...
Prints {"approved": n, "full": n, "other": [messages]} as JSON.
"""

import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models import Session, User, db  # noqa: E402
from sessions import booking  # noqa: E402


def main(url, session_id, user_ids):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "race"})
    results, start = [], threading.Barrier(len(user_ids))

    def attempt(user_id):
        with app.app_context(), db.connection_context():
            user, session = User.get_by_id(user_id), Session.get_by_id(session_id)
            start.wait()
            try:
                booking.sign_up(user, session)
                results.append("approved")
            except booking.BookingError as refusal:
                results.append(
                    "full" if refusal.message == "Session seats full" else refusal.message
                )

    threads = [threading.Thread(target=attempt, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other = [result for result in results if result not in ("approved", "full")]
    print(
        json.dumps(
            {"approved": results.count("approved"), "full": results.count("full"), "other": other}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), [int(value) for value in sys.argv[3:]])
