"""The first schema: company, users, events, sessions, days and registrations."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class Company(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(default='Convene', max_length=255)
        timezone = pw.CharField(default='UTC', max_length=255)
        locales = pw.JSONField()
        default_locale = pw.CharField(default='en', max_length=255)
        is_zoom_enabled = pw.BooleanField(default=False)
        allows_group_sessions = pw.BooleanField(default=False)
        mentees_per_session_limit = pw.IntegerField(default=25)
        bulk_rows_limit = pw.IntegerField(default=500)
        min_duration_minutes = pw.IntegerField(default=30)
        group_minimum_cutoff_hours = pw.IntegerField(default=24)

        class Meta:
            table_name = "company"

    @migrator.create_model
    class Event(pw.Model):
        id = pw.AutoField()
        title = pw.JSONField()
        description = pw.TextField(default='')
        is_active = pw.BooleanField(default=False)
        starts_on = pw.DateField(null=True)
        ends_on = pw.DateField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "event"

    @migrator.create_model
    class User(pw.Model):
        id = pw.AutoField()
        email = pw.CharField(max_length=255, unique=True)
        name = pw.CharField(max_length=255)
        password_hash = pw.CharField(max_length=255)
        role = pw.CharField(default='member', max_length=255)
        locale = pw.CharField(max_length=255, null=True)
        timezone = pw.CharField(max_length=255, null=True)
        handle = pw.CharField(max_length=255, null=True, unique=True)
        is_active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "user"

    @migrator.create_model
    class Session(pw.Model):
        id = pw.AutoField()
        event = pw.ForeignKeyField(column_name='event_id', field='id', model=migrator.orm['event'], null=True, on_delete='CASCADE')
        kind = pw.CharField(default='event', max_length=255)
        name = pw.JSONField()
        description = pw.TextField(default='')
        timezone = pw.CharField(max_length=255)
        registration_end_at = pw.DateTimeField(null=True)
        participant_limit = pw.IntegerField(null=True)
        min_participants = pw.IntegerField(null=True)
        host = pw.ForeignKeyField(column_name='host_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        is_public = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "session"

    @migrator.create_model
    class Day(pw.Model):
        id = pw.AutoField()
        session = pw.ForeignKeyField(column_name='session_id', field='id', model=migrator.orm['session'], on_delete='CASCADE')
        start_at = pw.DateTimeField()
        end_at = pw.DateTimeField()
        format = pw.CharField(default='offline', max_length=255)
        address = pw.TextField(default='')
        url = pw.TextField(default='')
        passcode = pw.CharField(default='', max_length=255)
        zoom_role = pw.CharField(max_length=255, null=True)
        zoom_organizer = pw.ForeignKeyField(column_name='zoom_organizer_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')

        class Meta:
            table_name = "day"
            indexes = [(('session', 'start_at'), False)]

    @migrator.create_model
    class Registration(pw.Model):
        id = pw.AutoField()
        session = pw.ForeignKeyField(column_name='session_id', field='id', model=migrator.orm['session'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        role = pw.CharField(default='participant', max_length=255)
        status = pw.CharField(default='approved', max_length=255)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "registration"
            indexes = [(('session', 'user'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model('registration')

    migrator.remove_model('day')

    migrator.remove_model('session')

    migrator.remove_model('user')

    migrator.remove_model('event')

    migrator.remove_model('company')
