"""Notifications: written to the outbox in the sender's transaction; a gateway delivers them after commit."""
import logging

from sqlalchemy import select

from .models import OutboxMessage

log = logging.getLogger(__name__)


class OutboxNotifier:
    """The default notifier: every message becomes an outbox row, so nothing is sent for a rolled-back change."""

    def __init__(self, registry):
        self.registry = registry

    def send(self, request, *, channel, recipient, body, subject=None, user_id=None, data=None):
        message = OutboxMessage(channel=channel, recipient=recipient or "", user_id=user_id, subject=subject, body=body,
                                data=data or {}, created_at=request.clock.now())
        request.dbsession.add(message)
        return message

    def deliver(self, dbsession, now, limit=100):
        """Hand unsent messages to the gateway. The outbox alone has no gateway: it keeps them for the inbox pages."""
        return 0


def pending(dbsession, user_id):
    return dbsession.execute(
        select(OutboxMessage).where(OutboxMessage.user_id == user_id).order_by(OutboxMessage.created_at.desc())
    ).scalars().all()


def get_notifier(registry):
    return registry["notifier"]


def includeme(config):
    config.registry["notifier"] = OutboxNotifier(config.registry)
