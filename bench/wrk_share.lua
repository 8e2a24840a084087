-- wrk driver of the HTTP benchmarks (bench/wrk.py writes its data file and reads its lines).
--
-- Each wrk thread sends its own share of prepared raw requests: `count` requests taken in
-- turn from its list. In "share" mode, once a thread's share is all sent, its connections
-- send the filler request (refused by gunicorn itself, recognisable, not counted) while the
-- share's last answers are on their way, since wrk must keep sending on every connection;
-- when the last answer of the share arrives, the thread prints "bench-wrk finished" with
-- the monotonic times of its first request and its last answer, and bench/wrk.py stops
-- wrk (SIGINT) once every thread has. (A thread that stopped itself would leave a freshly
-- opened connection without a request, and a sync worker that accepted it would wait on
-- it; and wrk's main thread sleeps out its duration anyway.) A thread that has had only
-- fillers answered for `give_up_us` prints "bench-wrk gave-up": its last answers are lost. In "loop" mode a thread
-- cycles through its list until wrk's duration ends (the rate probe). Every counted answer
-- is classified by its status and the first marker found in its body or header values.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

local data, list, count, mode, filler, filler_marker, markers, dry_run_pending
local first_sent_us, last_answer_us
issued, answered, fillers, bytes, counts = 0, 0, 0, 0, {}

function init(args)
  data = dofile(args[1])
  list = data.shares[index]
  count = data.counts[index]
  mode, filler, filler_marker, markers = data.mode, data.filler, data.filler_marker, data.markers
  -- wrk calls the first thread's request() once right after its init(), to check the
  -- request it builds, and never sends that one: it must not use up a request of the share.
  dry_run_pending = index == 1
end

function request()
  if dry_run_pending then
    dry_run_pending = false
    return list[1]
  end
  if mode == "share" and issued >= count then
    return filler
  end
  if issued == 0 then
    first_sent_us = now_us()
    last_answer_us = first_sent_us
  end
  issued = issued + 1
  return list[(issued - 1) % #list + 1]
end

local function marker_of(headers, body)
  for number, marker in ipairs(markers) do
    if body and string.find(body, marker, 1, true) then
      return number
    end
    for _, value in pairs(headers) do
      if string.find(value, marker, 1, true) then
        return number
      end
    end
  end
  return 0
end

function response(status, headers, body)
  if body and string.find(body, filler_marker, 1, true) then
    fillers = fillers + 1
    if answered < count and now_us() - last_answer_us > data.give_up_us then
      io.write(string.format("bench-wrk gave-up index=%d answered=%d\n", index, answered))
      io.flush()
      last_answer_us = now_us()  -- said once a period, until bench/wrk.py stops wrk
    end
    return
  end
  answered = answered + 1
  last_answer_us = now_us()
  bytes = bytes + (body and #body or 0)
  local key = status .. ":" .. marker_of(headers, body)
  counts[key] = (counts[key] or 0) + 1
  if mode == "share" and answered == count then
    io.write(string.format("bench-wrk finished index=%d first_us=%d last_us=%d fillers=%d\n",
      index, first_sent_us, now_us(), fillers))
    io.flush()
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "bench-wrk summary duration_us=%d requests=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.duration, summary.requests, errors.connect, errors.read, errors.write,
    errors.timeout))
  io.write(string.format("bench-wrk latency p50=%d p95=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  for _, thread in ipairs(threads) do
    local line = string.format("bench-wrk thread answered=%d fillers=%d bytes=%d",
      thread:get("answered"), thread:get("fillers"), thread:get("bytes"))
    for key, number in pairs(thread:get("counts")) do
      line = line .. " " .. key .. "=" .. number
    end
    io.write(line .. "\n")
  end
end
