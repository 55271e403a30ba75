"""Bid sealing: an argon2id key from the bidder's unlock secret, AES-256-GCM, and nothing kept that decrypts."""
import os
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12


class UnlockFailed(Exception):
    """The secret does not open the bid: the GCM tag did not verify."""


@dataclass(frozen=True)
class KdfParams:
    time_cost: int
    memory_kib: int
    parallelism: int

    @classmethod
    def from_settings(cls, settings):
        return cls(settings["ggzy.seal_time_cost"], settings["ggzy.seal_memory_kib"], settings["ggzy.seal_parallelism"])

    @classmethod
    def from_json(cls, data):
        return cls(int(data["t"]), int(data["m"]), int(data["p"]))

    def as_json(self):
        return {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}


def derive_key(secret, salt, params):
    return hash_secret_raw(
        secret.encode("utf-8"), salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
        parallelism=params.parallelism, hash_len=KEY_BYTES, type=Type.ID,
    )


def associated_data(bid_id, name):
    """Binds each ciphertext to its bid and its part, so no ciphertext can be moved to another bid."""
    return f"ggzy-bid:{bid_id}:{name}".encode("utf-8")


class Sealer:
    """Holds one bid's key only for as long as the submission (or the decryption) takes."""

    def __init__(self, secret, params, salt=None):
        self.params = params
        self.salt = salt if salt is not None else os.urandom(SALT_BYTES)
        self._aead = AESGCM(derive_key(secret, self.salt, params))

    def seal(self, bid_id, name, plaintext):
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext, associated_data(bid_id, name))

    def open(self, bid_id, name, nonce, ciphertext):
        try:
            return self._aead.decrypt(nonce, ciphertext, associated_data(bid_id, name))
        except InvalidTag:
            raise UnlockFailed() from None

    def forget(self):
        self._aead = None
