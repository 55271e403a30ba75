"""Sealed bids: submit, supersede, withdraw, read by the owner only, decrypt in the opening window."""
import hashlib
import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from .. import audit
from ..errors import Conflict, Forbidden, NotFound, RequestInvalid, RulesViolated, RuleViolation, TooLarge, field_error
from ..i18n import _, instant, local_text, money
from ..methods import MONEY_PATTERN, SEALED
from ..models import Bid, BidFile, Project, new_id
from ..schema import schema_details
from ..sealing import KdfParams, Sealer, UnlockFailed
from ..storage import get_store
from . import registrations
from .documents import declared_type, safe_name
from .projects import timeline_of

MIN_SECRET = 6
MAX_FILES = 20
OFFER_SCHEMA = {
    "type": "object",
    "properties": {
        "price": {"type": "string", "pattern": MONEY_PATTERN},
        "sme": {"type": "boolean"},
    },
    "required": ["price"],
}


def parse_offer(text):
    """The offer as the bidder wrote it; the price must be a decimal string with at most two places."""
    try:
        offer = json.loads(text, parse_float=Decimal)
    except (ValueError, TypeError):
        raise RequestInvalid(details=[field_error("offer", _("The offer must be a JSON object."))]) from None
    if not isinstance(offer, dict):
        raise RequestInvalid(details=[field_error("offer", _("The offer must be a JSON object."))])
    details = schema_details(OFFER_SCHEMA, offer, "offer")
    if details:
        raise RequestInvalid(details=details)
    return offer


def check_secret(secret):
    if not isinstance(secret, str) or len(secret) < MIN_SECRET or len(secret) > 1024:
        raise RequestInvalid(details=[field_error("unlock_secret", _("The unlock secret needs ${n} to 1024 characters.",
                                                                     mapping={"n": MIN_SECRET}))])


def _deadline_passed(deadline):
    return Conflict("bid.deadline_passed", _("The bid deadline has passed (${at}).", mapping={"at": local_text(deadline)}))


def _lock_project(request, project_id, shared=False):
    query = select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    query = query.with_for_update(read=shared)
    return request.dbsession.execute(query).scalar_one()


def submit(request, project, lot, offer_text, secret, uploads):
    """Seal and store a bid; the deadline is decided by the clock inside this transaction."""
    user = request.identity
    offer = parse_offer(offer_text)
    check_secret(secret)
    if not uploads:
        raise RequestInvalid(details=[field_error("files", _("Attach at least one file."))])
    if len(uploads) > MAX_FILES:
        raise RequestInvalid(details=[field_error("files", _("Attach at most ${n} files.", mapping={"n": MAX_FILES}))])
    if project.kind != SEALED:
        raise NotFound()
    if registrations.qualified_registration(request, project, lot.id, user.org_id) is None:
        raise Forbidden("bid.not_qualified", _("Your organisation has no qualified registration for this lot "
                                               "(registration and a paid deposit are needed)."))
    deadline = timeline_of(project)["bid_deadline"]
    if request.clock.now() >= deadline or project.status != "announced":
        raise _deadline_passed(deadline)
    contents = []
    limit = request.registry.settings["ggzy.upload_max_bytes"]
    total = 0
    for index, field in enumerate(uploads):
        data = field.file.read(limit + 1)
        total += len(data)
        if len(data) > limit or total > limit:
            raise TooLarge(message=_("The files are larger than the limit of ${mb} MB.",
                                     mapping={"mb": limit // (1024 * 1024)}))
        if not data:
            raise RequestInvalid(details=[field_error(f"files[{index}]", _("The file is empty."))])
        contents.append((safe_name(field.filename), declared_type(field), data))
    names = [name for name, _type, _data in contents]
    if len(set(names)) != len(names):
        raise RequestInvalid(details=[field_error("files", _("Two files have the same name."))])

    # the slow part (key derivation, encryption, writing ciphertext) runs before any lock is taken
    bid_id = new_id()
    sealer = Sealer(secret, KdfParams.from_settings(request.registry.settings))
    offer_nonce, offer_cipher = sealer.seal(bid_id, "offer", json.dumps(offer, default=str, ensure_ascii=False).encode("utf-8"))
    store = get_store(request.registry)
    files = []
    # a refusal or a full disk after some files were written: the transaction aborts and they are removed
    written = _discarded_unless_committed(request, store)
    for position, (name, content_type, data) in enumerate(contents):
        plain_hash = hashlib.sha256(data).hexdigest()
        nonce, cipher = sealer.seal(bid_id, "file:" + name, data)
        cipher_key, _size = store.put_bytes(cipher)
        written.append(cipher_key)
        files.append(BidFile(position=position, name=name, content_type=content_type, size=len(data),
                             sha256=plain_hash, nonce=nonce, cipher_key=cipher_key))
    sealer.forget()
    del contents

    # the opening locks the project row for update: a bid either commits before it, or sees it started
    locked = _lock_project(request, project.id, shared=True)
    now = request.clock.now()
    if now >= deadline or locked.status != "announced":
        raise _deadline_passed(deadline)
    previous = request.dbsession.execute(
        select(Bid).where(Bid.lot_id == lot.id, Bid.org_id == user.org_id, Bid.status == "sealed")
    ).scalars().all()
    receipt = receipt_hash(bid_id, now, lot.id, user.org_id, files)
    bid = Bid(id=bid_id, project_id=project.id, lot_id=lot.id, org_id=user.org_id, user_id=user.id, status="sealed",
              submitted_at=now, kdf=sealer.params.as_json(), salt=sealer.salt, offer_nonce=offer_nonce,
              offer_ciphertext=offer_cipher, receipt_hash=receipt, ip=request.client_addr,
              device=request.client_device, files=files)
    request.dbsession.add(bid)
    for old in previous:
        old.status = "superseded"
        old.superseded_by = bid_id
    request.dbsession.flush()
    audit.record(request, "bid.submit", bid, {
        "lot_id": lot.id, "org_id": user.org_id, "receipt_hash": receipt, "device": bid.device,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
        "supersedes": [old.id for old in previous],
    })
    return bid


def _discarded_unless_committed(request, store):
    """A list for the ciphertext keys a submission writes; they are removed if its transaction does not commit.

    A ciphertext is the bid's own (random salt and nonce): no other row can refer to it.
    """
    written = []
    tm = getattr(request, "tm", None)
    if tm is not None:
        def discard(*_status):
            if not (_status and _status[0]):
                for key in written:
                    store.discard(key)

        current = tm.get()
        current.addAfterAbortHook(discard)
        current.addAfterCommitHook(discard)
    return written


def receipt_hash(bid_id, submitted_at, lot_id, org_id, files):
    """SHA-256 over the bid id, time, lot, bidder and file hashes (canonical JSON)."""
    return audit.sha256_hex(audit.canonical_json({
        "bid_id": bid_id,
        "submitted_at": audit.format_at(submitted_at),
        "lot_id": lot_id,
        "bidder": org_id,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
    }))


def bid_json(bid, with_offer=False):
    body = {
        "id": bid.id,
        "project_id": bid.project_id,
        "lot_id": bid.lot_id,
        "status": bid.status,
        "submitted_at": instant(bid.submitted_at),
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in bid.files],
        "receipt_hash": bid.receipt_hash,
    }
    if bid.superseded_by:
        body["superseded_by"] = bid.superseded_by
    if bid.opened_at is not None:
        body["opened_at"] = instant(bid.opened_at)
        if with_offer:
            body["offer"] = _offer_json(bid.offer)
            body["price"] = money(bid.price)
    return body


def _offer_json(offer):
    return {k: (money(v) if k == "price" else v) for k, v in (offer or {}).items()}


class AccessDenied(NotFound):
    """404 for everybody but the owner; before the opening the attempt is audited and committed."""


def get_own(request, bid_id):
    """The caller's bid; anyone else's attempt is a 404, audited as sealed.access_denied before the opening."""
    bid = request.dbsession.get(Bid, bid_id)
    user = request.identity
    if bid is not None and user is not None and user.role == "bidder" and bid.org_id == user.org_id:
        return bid
    if bid is not None and bid.opened_at is None and bid.status in ("sealed", "superseded", "withdrawn"):
        audit.record(request, "sealed.access_denied", bid,
                     {"by_role": user.role if user else None, "by_org": user.org_id if user else None,
                      "path": getattr(request, "path", None)})
        raise AccessDenied()
    raise NotFound()


def withdraw(request, bid):
    deadline = timeline_of(bid_project(request, bid))["bid_deadline"]
    locked = _lock_project(request, bid.project_id, shared=True)
    now = request.clock.now()
    if now >= deadline or locked.status != "announced":
        raise _deadline_passed(deadline)
    if bid.status != "sealed":
        raise Conflict("bid.not_withdrawable", _("Only a sealed bid can be withdrawn; this one is ${status}.",
                                                 mapping={"status": bid.status}))
    bid.status = "withdrawn"
    bid.withdrawn_at = now
    request.dbsession.flush()
    audit.record(request, "bid.withdraw", bid, {"lot_id": bid.lot_id})
    return bid


def bid_project(request, bid):
    return request.dbsession.get(Project, bid.project_id)


def decrypt(request, bid, secret):
    """Open the owner's bid with its secret in the decryption window (解密)."""
    check_secret(secret)
    project = bid_project(request, bid)
    lot = next(lot for lot in project.lots if lot.id == bid.lot_id)
    if bid.status in ("opened", "above_ceiling"):
        return bid
    if lot.status == "failed":
        raise Conflict("bid.not_decryptable", _("This bid cannot be decrypted: its lot failed and was not opened."))
    if bid.status != "sealed":
        raise Conflict("bid.not_decryptable", _("This bid cannot be decrypted (it is ${status}).",
                                                mapping={"status": bid.status}))
    _check_window(request, project)
    sealer = Sealer(secret, KdfParams.from_json(bid.kdf), salt=bid.salt)
    try:
        offer_bytes = sealer.open(bid.id, "offer", bid.offer_nonce, bid.offer_ciphertext)
    except UnlockFailed:
        bid.unlock_failures = (bid.unlock_failures or 0) + 1
        audit.record(request, "bid.unlock_failed", bid, {"attempt": bid.unlock_failures})
        raise RulesViolated([RuleViolation("bid.unlock_failed",
                                           _("The unlock secret does not open this bid; check it and try again."))])
    store = get_store(request.registry)
    plain = []
    for bid_file in bid.files:
        data = sealer.open(bid.id, "file:" + bid_file.name, bid_file.nonce, store.read(bid_file.cipher_key))
        plain.append(store.put_bytes(data)[0])
    sealer.forget()
    offer = json.loads(offer_bytes.decode("utf-8"), parse_float=Decimal)

    locked = _lock_project(request, project.id)
    _check_window(request, locked)
    request.dbsession.refresh(bid)
    if bid.status != "sealed":
        raise Conflict("bid.not_decryptable", _("This bid cannot be decrypted (it is ${status}).",
                                                mapping={"status": bid.status}))
    for bid_file, key in zip(bid.files, plain):
        bid_file.plain_key = key
    bid.offer = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in offer.items()}
    try:
        bid.price = Decimal(str(offer["price"]))
    except (KeyError, InvalidOperation):
        bid.price = None
    bid.status = "opened"
    bid.opened_at = request.clock.now()
    request.dbsession.flush()
    audit.record(request, "bid.decrypt", bid, {"lot_id": bid.lot_id, "price": bid.price,
                                               "files": [f.sha256 for f in bid.files]})
    return bid


def _check_window(request, project):
    now = request.clock.now()
    if project.status != "opening" or project.window_until is None or now >= project.window_until:
        raise Conflict("opening.not_decrypting", _("Bids can be decrypted only during the decryption window."))


def window_left(project, now):
    if project.window_until is None:
        return timedelta(0)
    return max(project.window_until - now, timedelta(0))
