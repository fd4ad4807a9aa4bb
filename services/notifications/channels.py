"""The outside world: email over SMTP and WhatsApp/SMS through an HTTP provider shaped like the
WhatsApp Cloud API. Settings are read at send time from the environment (see .env.example); when a
channel has no settings (development) the message is written under PASAR_VAR_DIR instead.

A sender returns the provider's message id or raises SendError; `permanent=True` means retrying
cannot help (the address is refused), so the delivery is parked at once."""
from __future__ import annotations

import json
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol

import requests

from pasar import config
from pasar.stamps import utcnow


class SendError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Outgoing(Protocol):
    id: str
    recipient_id: str
    address: str | None
    locale: str
    subject: str
    text: str
    html: str | None
    event_id: str


_file_lock = threading.Lock()


# -- email ---------------------------------------------------------------------------------------
def build_email(delivery: Outgoing, recipient_name: str = "") -> EmailMessage:
    sender = config.setting("SMTP_FROM", "Pasar Desa <no-reply@pasardesa.id>")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((recipient_name, delivery.address)) if recipient_name else delivery.address
    message["Subject"] = delivery.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=delivery.id.replace("-", ""), domain="pasardesa.id")
    message["X-Pasar-Delivery"] = delivery.id  # one id per (event, recipient, channel): receivers can dedupe too
    message.set_content(delivery.text)
    if delivery.html:
        message.add_alternative(delivery.html, subtype="html")
    # after the body: making the message multipart moves Content-* headers into the first part
    message["Content-Language"] = delivery.locale
    return message


def _smtp_tls_mode(port: int) -> str:
    default = "ssl" if port == 465 else ("starttls" if config.setting("SMTP_USER") or port == 587 else "off")
    return (config.setting("SMTP_TLS", default) or default).lower()


def send_email(delivery: Outgoing) -> str:
    if not delivery.address:
        raise SendError("no email address", permanent=True)
    message = build_email(delivery)
    host = config.setting("SMTP_HOST")
    if not host:  # development: the message is a file you can open in a mail client
        folder = config.var_dir() / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{delivery.id}.eml"
        path.write_bytes(bytes(message))
        return f"file:{path.name}"
    port = config.int_setting("SMTP_PORT", 587 if config.setting("SMTP_USER") else 25)
    mode = _smtp_tls_mode(port)
    timeout = float(config.setting("SMTP_TIMEOUT", "10"))
    try:
        if mode == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if mode == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.setting("SMTP_USER"):
                client.login(config.setting("SMTP_USER"), config.setting("SMTP_PASSWORD", ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SendError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"smtp: {type(exc).__name__}: {exc}") from exc
    return message["Message-ID"]


# -- WhatsApp / SMS ------------------------------------------------------------------------------
def whatsapp_number(phone: str) -> str:
    """The Cloud API wants the international number as digits only: +62812... -> 62812..."""
    return "".join(ch for ch in phone if ch.isdigit())


def send_whatsapp(delivery: Outgoing) -> str:
    if not delivery.address:
        raise SendError("no phone number", permanent=True)
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": whatsapp_number(delivery.address), "type": "text",
               "text": {"preview_url": False, "body": delivery.text}}
    api = config.setting("WHATSAPP_API_URL")
    if not api:  # development: one JSON line per message
        line = json.dumps({"at": utcnow().isoformat(), "delivery_id": delivery.id, "locale": delivery.locale,
                           **payload}, ensure_ascii=False)
        with _file_lock, open(config.var_dir() / "whatsapp.log", "a", encoding="utf-8") as log:
            log.write(line + "\n")
        return f"log:{delivery.id}"
    url = f"{api.rstrip('/')}/{config.setting('WHATSAPP_PHONE_NUMBER_ID', '')}/messages"
    try:
        resp = requests.post(url, json=payload, timeout=(3, float(config.setting("WHATSAPP_TIMEOUT", "10"))),
                             headers={"Authorization": f"Bearer {config.setting('WHATSAPP_TOKEN', '')}",
                                      "Idempotency-Key": delivery.id})
    except requests.RequestException as exc:
        raise SendError(f"whatsapp: {type(exc).__name__}: {exc}") from exc
    if resp.status_code >= 400:
        # 4xx (bad number, bad token) will not get better by retrying; 408/429/5xx may
        permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
        raise SendError(f"whatsapp: HTTP {resp.status_code}: {resp.text[:300]}", permanent=permanent)
    try:
        return str(resp.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return f"http:{resp.status_code}"


SENDERS = {"email": send_email, "whatsapp": send_whatsapp}
