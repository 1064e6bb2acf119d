"""The SMTP client: one connection, opened when first needed and reopened after it is lost.

It tells apart the three ways a message can end that matter to the team: a final reply
(delivered, or refused for now or for good), a connection lost before the server took the
message data (certainly not delivered), and one lost after it (delivery unknown).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DeliveryError

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT = 60.0
# Seconds to wait before each retry of a temporary (4xx) refusal, after the rest of the batch.
DEFAULT_RETRY_WAITS = (30.0, 60.0, 120.0)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password never comes from a file or the command line."""

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    messages_per_minute: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry_waits: tuple[float, ...] = DEFAULT_RETRY_WAITS


def smtp_settings(config_smtp: dict, overrides: dict) -> SmtpSettings:
    """Settings from the config's [smtp], with command-line values (not None) winning."""
    given = {**config_smtp, **{k: v for k, v in overrides.items() if v is not None}}
    if not given.get("host"):
        raise DeliveryError(
            "no SMTP server given: use --host, or set host in the [smtp] table of balint.toml"
        )
    security = given.get("security", "starttls")
    return SmtpSettings(
        host=given["host"],
        port=int(given.get("port") or DEFAULT_PORTS[security]),
        security=security,
        username=given.get("username", ""),
        messages_per_minute=given.get("messages_per_minute"),
        timeout=float(given.get("timeout", DEFAULT_TIMEOUT)),
        retry_waits=tuple(float(w) for w in given.get("retry_waits", DEFAULT_RETRY_WAITS)),
    )


class ConnectionLost(Exception):
    """The server went away before it took the message data: it was not sent."""


class UnknownDelivery(Exception):
    """The connection was lost after the message data was handed over."""


class _TracksData:
    """Tells, on the server's 354 ("send the data"), that the message is being handed over."""

    on_data: Callable[[], None] | None = None
    data_sent = False

    def getreply(self) -> tuple[int, bytes]:
        """The server's reply, noting a 354 (kept when the next reply never comes)."""
        code, text = super().getreply()  # type: ignore[misc]
        self.data_sent = code == 354
        if self.data_sent and self.on_data is not None:
            self.on_data()
        return code, text


class _SMTP(_TracksData, smtplib.SMTP):
    pass


class _SMTPSSL(_TracksData, smtplib.SMTP_SSL):
    pass


def _words(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()


class SmtpClient:
    """One SMTP connection, opened when first needed and reopened after it is lost."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.username and settings.security == "none":
            raise DeliveryError(
                "a username is given with security none: the password would cross the network "
                "unencrypted; use --security starttls or ssl"
            )
        self.settings = settings
        self._smtp: _SMTP | _SMTPSSL | None = None

    def connect(self) -> None:
        """Connect now, so a wrong host or password stops the run before anything is sent."""
        try:
            self._smtp = self._smtp or self._open()
        except ConnectionLost as exc:
            raise DeliveryError(f"{exc}: check the host, port and security settings") from None

    def supports_utf8(self) -> bool:
        """Whether the server takes addresses with non-ASCII letters (it offers SMTPUTF8)."""
        self.connect()
        assert self._smtp is not None
        return bool(self._smtp.has_extn("smtputf8"))

    def _open(self) -> _SMTP | _SMTPSSL:
        s = self.settings
        context = ssl.create_default_context()
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                smtp: _SMTP | _SMTPSSL = _SMTPSSL(
                    s.host, s.port, timeout=s.timeout, context=context
                )
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password)
            smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{where} does not offer STARTTLS: use --security ssl, or ask your provider"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where} refused the username or password ({exc.smtp_code} "
                f"{_words(exc.smtp_error)})"
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{where}: secure connection failed ({exc.reason})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"cannot connect to {where} ({exc})") from None
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None

    def send(
        self,
        message: bytes,
        sender: str,
        to: str,
        utf8: bool = False,
        on_handover: Callable[[], None] | None = None,
    ) -> tuple[int, str]:
        """Hand one message over and return the final reply.

        `on_handover` is called when the server asks for the message data: from then on a
        lost connection raises `UnknownDelivery`; before it, `ConnectionLost`.
        """
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except ConnectionLost as exc:
                # Unreachable now: every message after this one would fail the same way.
                raise DeliveryError(f"{exc}; run the same command again later") from None
        smtp = self._smtp
        smtp.data_sent = False
        smtp.on_data = on_handover
        text: bytes | str
        try:
            code, text = smtp.mail(sender, ["SMTPUTF8"] if utf8 else [])
            if code == 250:
                code, text = smtp.rcpt(to)
            if code in (250, 251):
                code, text = smtp.data(message)
        except smtplib.SMTPDataError as exc:
            code, text = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            handed_over = smtp.data_sent
            self._drop()
            if handed_over:
                raise UnknownDelivery(str(exc) or "connection closed") from None
            raise ConnectionLost(f"connection lost ({exc})") from None
        finally:
            smtp.on_data = None
        if code == 421:
            self._drop()  # the server is closing this connection
        elif code not in (250, 251):
            try:
                smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        return code, _words(text)
