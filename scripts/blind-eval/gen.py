#!/usr/bin/env python3
"""Blind evaluation-set generator for phiscan (stdlib only, deterministic).

  python3 gen.py --seed 1 --events 3000 --out DIR

Writes DIR/events.jsonl, expected.jsonl, config.toml, sms.jsonl, sms-gold.jsonl, sms-events.jsonl,
queries.jsonl, queries-gold.jsonl, query-events.jsonl.
Expected rules are derived from ../shared/reference/policy.md only (see NOTES.md).
"""
import argparse
import base64
import json
import os
import random
import string
import urllib.parse
from datetime import datetime, timedelta, timezone

from vocab import *  # noqa: F401,F403

HEX = "0123456789abcdef"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


class G:
    """All random value generators hang off one seeded Random."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.used_ids = set()
        self.base_time = datetime(2026, 10, 1, tzinfo=timezone.utc)

    # ---------- basics
    def c(self, seq):
        return self.r.choice(seq)

    def p(self, x):
        return self.r.random() < x

    def hexs(self, n):
        return "".join(self.r.choice(HEX) for _ in range(n))

    def sid(self, prefix):
        return prefix + self.hexs(32)

    def uid(self, prefix):
        while True:
            s = self.sid(prefix)
            if s not in self.used_ids:
                self.used_ids.add(s)
                return s

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.c('89ab')}{h[17:20]}-{h[20:]}"

    def ts(self, dt=None):
        dt = dt or self.when()
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"

    def when(self):
        return self.base_time + timedelta(seconds=self.r.randint(0, 60 * 86400),
                                          microseconds=self.r.randint(0, 999999))

    def rfc2822(self, dt):
        return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")

    def alnum(self, n, chars=string.ascii_letters + string.digits):
        return "".join(self.r.choice(chars) for _ in range(n))

    # ---------- phones
    def _sub(self):
        ex = self.r.randint(200, 999)
        while ex == 555 or ex % 100 == 11:
            ex = self.r.randint(200, 999)
        return ex, self.r.randint(0, 9999)

    def e164_us(self):
        ex, ln = self._sub()
        return f"+1{self.c(US_AREA)}{ex}{ln:04d}"

    def e164_canada(self):
        ex, ln = self._sub()
        return f"+1{self.c(CANADA_AREA)}{ex}{ln:04d}"

    def e164_carib(self):
        ex, ln = self._sub()
        return f"+1{self.c(CARIB_AREA)}{ex}{ln:04d}"

    def e164_tollfree(self):
        ex, ln = self._sub()
        return f"+1{self.c(TOLL_FREE)}{ex}{ln:04d}"

    def e164_intl(self):
        k = self.r.randint(0, 6)
        d = lambda n: "".join(str(self.r.randint(0, 9)) for _ in range(n))
        return ["+447" + str(self.r.randint(4, 9)) + d(8), "+5255" + d(8), "+9198" + d(8),
                "+639" + d(9), "+4915" + d(9), "+33" + str(self.r.choice([6, 7])) + d(8),
                "+5511" + "9" + d(8)][k]

    def e164_nonus(self):
        return self.c([self.e164_canada, self.e164_canada, self.e164_carib, self.e164_intl])()

    def phone_text(self, e164=None):
        e = e164 or self.e164_us()
        if not e.startswith("+1"):
            return e if self.p(0.5) else e[:3] + " " + e[3:6] + " " + e[6:]
        a, x, l = e[2:5], e[5:8], e[8:]
        return self.c([f"({a}) {x}-{l}", f"{a}-{x}-{l}", f"{a}.{x}.{l}", f"+1 {a} {x} {l}",
                       f"1-{a}-{x}-{l}", f"{a}{x}{l}", f"({a}){x}-{l}"])

    # ---------- people
    def first(self):
        return self.c(FIRST)

    def name(self, style=None):
        f, l = self.first(), self.c(LAST)
        style = style if style is not None else self.r.randint(0, 9)
        if style <= 3:
            return f"{f} {l}"
        if style == 4:
            return f"{f} {self.c(MIDDLE_INITIALS)}. {l}"
        if style == 5:
            return f"{l}, {f}"
        if style == 6:
            return f"{f} {l}".lower()
        if style == 7:
            return f"{f} {l}".upper()
        if style == 8:
            return f"{l.upper()}, {f.upper()}"
        return f"{f[0]}. {l}"

    def email(self, name=None):
        f, l = (self.first(), self.c(LAST)) if name is None else name
        norm = lambda s: "".join(ch for ch in s.lower() if ch.isascii() and ch.isalnum())
        f, l = norm(f) or "jo", norm(l) or "lee"
        local = self.c([f"{f}.{l}", f"{f[0]}{l}{self.r.randint(1, 99)}", f"{f}{l[0]}",
                        f"{f}_{l}{self.r.randint(60, 2005)}", f"{l}.{f}"])
        return local + "@" + self.c(EMAIL_DOMAINS)

    def ssn(self):
        area = self.r.choice([self.r.randint(1, 665), self.r.randint(667, 899)])
        g, s = self.r.randint(1, 99), self.r.randint(1, 9999)
        return self.c([f"{area:03d}-{g:02d}-{s:04d}", f"{area:03d} {g:02d} {s:04d}",
                       f"{area:03d}{g:02d}{s:04d}"])

    def mrn(self):
        d = lambda n: "".join(str(self.r.randint(0, 9)) for _ in range(n))
        return self.c([f"{d(8)}", f"MRN{d(7)}", f"MR-{d(6)}", f"A{d(8)}", f"E{d(7)}", f"{d(2)}-{d(3)}-{d(3)}",
                       f"H{d(9)}", f"{d(3)}{self.c('ABCDEFGHJK')}{d(5)}", f"PT{d(6)}", f"0{d(9)}"])

    def member_id(self):
        d = lambda n: "".join(str(self.r.randint(0, 9)) for _ in range(n))
        L = lambda n: "".join(self.c("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(n))
        mbi = (str(self.r.randint(1, 9)) + L(1) + self.c(string.digits + "ACDEFGHJKMNPQRTUVWXY") + d(1) + "-"
               + L(1) + self.c("ACDEFGHJKMNPQRTUVWXY" + string.digits) + d(1) + "-" + L(2) + d(2))
        return self.c([f"{L(3)}{d(9)}", f"MBR-{d(4)}-{d(4)}", f"W{d(9)}", f"{L(1)}{d(8)}-0{self.r.randint(1, 4)}",
                       mbi, mbi.replace("-", ""), f"ZGP{d(8)}", f"{d(3)}{L(2)}{d(6)}"])

    def dob_dt(self):
        return datetime(self.r.randint(1931, 2019), self.r.randint(1, 12), self.r.randint(1, 28))

    def date_text(self, dt):
        y, m, dd = dt.year, dt.month, dt.day
        return self.c([f"{m:02d}/{dd:02d}/{y}", f"{m}/{dd}/{y % 100:02d}", f"{y}-{m:02d}-{dd:02d}",
                       f"{MONTHS[m - 1]} {dd}, {y}", f"{dd} {MONTHS[m - 1][:3]} {y}", f"{m}-{dd}-{y}",
                       f"{m}.{dd}.{y % 100:02d}", f"{MONTHS[m - 1][:3]}. {dd} {y}", f"{dd}/{m:02d}/{y}"])

    def dob(self):
        return self.date_text(self.dob_dt())

    def appt_dt(self):
        return datetime(2026, self.r.randint(10, 12), self.r.randint(1, 28), self.r.randint(7, 17),
                        self.c([0, 15, 20, 30, 40, 45]))

    def appt_text(self, with_year=None):
        dt = self.appt_dt()
        h = dt.hour % 12 or 12
        ap = "am" if dt.hour < 12 else "pm"
        t = f"{h}:{dt.minute:02d}{ap}" if self.p(0.5) else f"{h}:{dt.minute:02d} {ap.upper()}"
        wd = dt.strftime("%a")
        return self.c([f"{dt.month}/{dt.day} at {t}", f"{wd} {dt.month}/{dt.day} {t}",
                       f"{MONTHS[dt.month - 1]} {dt.day} at {t}", f"{dt.month:02d}/{dt.day:02d}/2026 {t}",
                       f"{dt.strftime('%A')}, {MONTHS[dt.month - 1][:3]} {dt.day}", f"2026-{dt.month:02d}-{dt.day:02d}"])

    def city(self):
        return self.c(US_CITIES)

    def zipc(self, city=None):
        c = city or self.city()
        return c[2] + f"{self.r.randint(0, 99):02d}"

    def address(self):
        c = self.city()
        st = f"{self.r.randint(12, 9899)} {self.c(['', '', 'N ', 'S ', 'E ', 'W '])}{self.c(STREET_NAMES)} {self.c(STREET_TYPES)}"
        if self.p(0.3):
            st += self.c([f" Apt {self.r.randint(1, 40)}{self.c('ABCD')}", f" #{self.r.randint(100, 999)}",
                          f" Unit {self.r.randint(1, 12)}"])
        return f"{st}, {c[0]}, {c[1]} {self.zipc(c)}"

    def facility(self, specialty=None):
        if specialty is None:
            specialty = self.p(0.6)
        if specialty:
            return f"{self.c(PLACES)} {self.c(SPECIALTY_SITES)}"
        return self.c([f"{self.c(SAINTS)} {self.c(GENERIC_SITES)}", f"{self.c(PLACES)} {self.c(GENERIC_SITES)}"])

    def health(self):
        k = self.r.randint(0, 5)
        if k <= 1:
            return self.c(CONDITIONS), "condition"
        if k == 2:
            return self.c(MEDS), "medication"
        if k == 3:
            return self.c(PROCEDURES), "procedure"
        if k == 4:
            return self.c(LAB_RESULTS), "procedure"
        return self.facility(True), "care_setting"

    # ---------- credentials
    def auth_token(self):
        return self.hexs(32)

    def api_secret(self):
        return self.alnum(32)


class T:
    """Text builder that records UTF-8 byte spans."""

    def __init__(self):
        self.parts, self.spans, self.b = [], [], 0

    def add(self, s, typ=None):
        n = len(s.encode("utf-8"))
        if typ:
            self.spans.append([self.b, self.b + n, typ])
        self.parts.append(s)
        self.b += n
        return self

    def text(self):
        return "".join(self.parts)


# ------------------------------------------------------------------ accounts
def make_accounts(g):
    hipaa = [g.sid("AC") for _ in range(3)]
    non = [g.sid("AC") for _ in range(2)]
    names = {hipaa[0]: "Lakeside Cardiology Clinic - Prod", hipaa[1]: "Riverbend Health Patient Outreach",
             hipaa[2]: "Summit Behavioral Health Contact Center", non[0]: "Riverbend Health Marketing",
             non[1]: "Dev Sandbox"}
    return hipaa, non, names


# ------------------------------------------------------------------ content snippets
def phi_sentence(g, with_ident=None):
    """A sentence a clinic/patient might write that carries health information (PHI in content)."""
    first = g.first()
    hx, _ = g.health()
    cond, med, proc = g.c(CONDITIONS), g.c(MEDS), g.c(PROCEDURES)
    fac = g.facility(True)
    opts = [
        f"Hi {first}, your {med} refill is ready for pickup.",
        f"Your {proc} at {fac} is confirmed for {g.appt_text()}. Please arrive 15 min early.",
        f"{first}, your lab results are in: {g.c(LAB_RESULTS)}. Dr. {g.c(LAST)} wants to see you this week.",
        f"Reminder: fast after midnight before your {proc} tomorrow.",
        f"i ran out of my {med} and my {g.c(['sugar', 'bp', 'chest', 'back', 'breathing'])} is bad, can someone call me",
        f"This is {fac}. We need to reschedule your {proc}. Call us back at {g.phone_text()}.",
        f"Your biopsy came back positive for {g.c(['melanoma', 'breast cancer', 'prostate cancer', 'lymphoma'])}. Please call the office.",
        f"hey its {first.lower()}, my {cond} flared up again, can i get in today?",
        f"Dr. {g.c(LAST)} approved your prior auth for {med}.",
        f"Your {g.c(['HIV', 'STI', 'hep C', 'pregnancy', 'COVID'])} test result is ready. Log in to view or call {g.phone_text()}.",
        f"Pt reminder: {first} {g.c(LAST)} - {proc} - {g.appt_text()} - {fac}",
        f"Time for your {g.c(['Vivitrol', 'Depo-Provera', 'Humira', 'B12', 'Prolia'])} injection. Book here: https://go.{g.c(['lakeside', 'riverbend', 'summithb'])}.org/b/{g.alnum(7)}",
        f"your dialysis chair time moved to {g.c(['5:30am', '11am', '2:45 PM'])} {g.c(['MWF', 'TTS'])}",
        f"Hola {first}, su cita para {g.c(['quimioterapia', 'diálisis', 'el ultrasonido prenatal'])} es el {g.appt_text()}.",
        f"we got your message about the {cond}. nurse line will call you within 2 hrs",
    ]
    return g.c(opts)


def clean_sentence(g, kind=None):
    """Texts with no PHI: neutral reminders, OTPs, marketing, delivery notices, ops."""
    code = "".join(str(g.r.randint(0, 9)) for _ in range(g.c([4, 6, 6, 6, 8])))
    co = g.c(COMPANIES + COMPANIES_HEALTHWORD)
    opts = {
        "reminder": [
            "You have an appointment tomorrow. Log in to your patient portal for details. Reply C to confirm or R to reschedule.",
            f"Reminder: you have an upcoming visit. Details: https://portal.{g.c(['lakesidecardio', 'riverbendhealth', 'summithb'])}.org/a/{g.alnum(10)}",
            "You have a new message in your patient portal. Please sign in to read it.",
            "Your appointment is confirmed. Reply STOP to opt out of reminders.",
            "We have an update about your upcoming visit. Please call the office during business hours.",
            "It's time to schedule your annual wellness visit. Call us or book online.",
            "Flu shots are now available at all locations, no appointment needed. Reply STOP to opt out.",
        ],
        "otp": [
            f"Your verification code is {code}. It expires in 10 minutes.",
            f"{code} is your login code. Don't share it with anyone.",
            f"Your {co} code: {code}",
            f"Use {code} to verify your account. Msg&data rates may apply.",
            f"<#> Your code is {code} FA+9qCX9VSu",
        ],
        "marketing": [
            f"{co}: 20% off everything through {g.c(MONTHS)} {g.r.randint(1, 30)}! Shop now https://{co.split()[0].lower()}.com/s/{g.alnum(6)} Reply STOP to end",
            f"{co} holiday hours: open 9am-6pm on {g.c(['Dec 24', 'Nov 27', 'Jan 1', '12/31'])}. See you soon!",
            f"Flash sale at {co} ends {g.c(['tonight', 'Sunday', '11/30', 'Dec 2'])}. Use code SAVE{g.r.randint(10, 40)}.",
            f"Thanks for being a {co} member! Your points balance: {g.r.randint(100, 9000)}.",
        ],
        "delivery": [
            f"Your {co} order #{g.r.randint(100000, 9999999)} has shipped. Track: https://track.{g.c(['ups', 'fedex', 'usps'])}.com/t/1Z{g.alnum(16, string.ascii_uppercase + string.digits)}",
            f"Package delivered to your front door at {g.r.randint(1, 12)}:{g.r.randint(10, 59)}pm. Order {g.c(['W', 'A', '#'])}{g.r.randint(1000000, 99999999)}",
            f"Your driver is 10 minutes away. Order {g.alnum(8, string.ascii_uppercase + string.digits)}.",
        ],
        "chat": list(GREETINGS_CLEAN),
        "ops": [
            f"Your ticket #{g.r.randint(10000, 999999)} has been updated. Reply to this message to respond.",
            f"Service outage resolved at {g.r.randint(1, 12)}:{g.r.randint(10, 59)}. Thank you for your patience.",
            f"Your payment of ${g.r.randint(5, 400)}.{g.r.randint(10, 99)} was received. Ref {g.alnum(10, string.ascii_uppercase + string.digits)}",
        ],
    }
    kind = kind or g.c(list(opts))
    return g.c(opts[kind])


def phi_log_message(g):
    """Console/log line that carries identifier + health info or a strong identifier."""
    n = g.name()
    k = g.r.randint(0, 9)
    if k == 0:
        return f"patient lookup ok: {n}, DOB {g.dob()}"
    if k == 1:
        return f"Upserting patient record ssn={g.ssn()} status=active"
    if k == 2:
        return f"Sending reminder for MRN {g.mrn()} -> {g.e164_us()}"
    if k == 3:
        return f"eligibility check member_id={g.member_id()} payer=Aetna result=ACTIVE"
    if k == 4:
        return f"[reminders] {n} | {g.c(PROCEDURES)} | {g.appt_text()}"
    if k == 5:
        return f"Refill request from {g.phone_text()}: {g.c(MEDS)} x90"
    if k == 6:
        return f"ERROR failed to post to EHR: {{\"patient\":\"{n}\",\"dx\":\"{g.c(ICD10)}\",\"dob\":\"{g.dob()}\"}}"
    if k == 7:
        return f"intake form received: name={n}; email={g.email()}; reason={g.c(CONDITIONS)}"
    if k == 8:
        return f"DOB mismatch for {n}: expected {g.dob()}"
    return f"Triage bot: caller {g.phone_text()} reports {g.c(CONDITIONS)}; routed to nurse line"


def clean_log_message(g):
    k = g.r.randint(0, 7)
    if k == 0:
        return f"Processed {g.r.randint(2, 900)} reminders in {g.r.randint(1, 40)}.{g.r.randint(0, 9)}s"
    if k == 1:
        return f"Message {g.sid('SM')} status=delivered"
    if k == 2:
        return f"cache miss for key appt-batch:{g.uuid()}"
    if k == 3:
        return f"Retrying webhook (attempt {g.r.randint(2, 5)}/5), request_id={g.hexs(32)}"
    if k == 4:
        return f"Flow {g.sid('FW')} revision {g.r.randint(3, 300)} published"
    if k == 5:
        return f"rate limited, backing off {g.r.randint(100, 5000)}ms (queue depth {g.r.randint(1, 9999)})"
    if k == 6:
        return f"sync complete: {g.r.randint(0, 999)} updated, {g.r.randint(0, 9)} failed; etag={g.hexs(32)}"
    return f"Deploy {g.hexs(7)} live on build ZB{g.hexs(32)}"


def credential_text(g):
    k = g.r.randint(0, 6)
    tok = g.auth_token()
    if k == 0:
        return f"init client accountSid={g.sid('AC')} authToken={tok}"
    if k == 1:
        return f"TWILIO_AUTH_TOKEN: {tok}"
    if k == 2:
        return f"using API key {g.sid('SK')} with secret {g.api_secret()}"
    if k == 3:
        raw = f"{g.sid('AC')}:{tok}".encode()
        return f"outbound request headers: Authorization: Basic {base64.b64encode(raw).decode()}"
    if k == 4:
        return f"env dump: NODE_ENV=production TWILIO_API_SECRET={g.api_secret()} REGION=us1"
    if k == 5:
        return g.c([f"Auth token rotated; old token {tok} still cached on worker 3",
                    f"s3 upload creds AKIA{g.alnum(16, string.ascii_uppercase + string.digits)} / {g.alnum(40, string.ascii_letters + string.digits + '/+')}"])
    return f"twilio.rest.Client('{g.sid('AC')}', '{tok}') created"


# ------------------------------------------------------------------ event builders
class Builder:
    def __init__(self, g, hipaa, non, names):
        self.g, self.hipaa, self.non, self.names = g, hipaa, non, names

    def env(self, typ, source, data, schema, idp="EZ", dt=None):
        g = self.g
        return {"specversion": "1.0", "type": typ, "source": source, "id": g.uid(idp),
                "dataschema": f"https://events-schemas.twilio.com/{schema}",
                "datacontenttype": "application/json", "time": g.ts(dt), "data": data}

    def acct(self, hipaa=True):
        return self.g.c(self.hipaa if hipaa else self.non)

    # --- messaging
    def msg_status(self, acct, to, frm, body, tags=None, status=None, cb=None):
        g = self.g
        st = status or g.c(["sent", "sent", "delivered", "delivered", "queued", "failed", "undelivered", "read"])
        sm = g.sid("SM")
        dt = g.when()
        d = {"messageSid": sm, "timestamp": g.ts(dt), "accountSid": acct,
             "eventName": f"com.twilio.messaging.message.{st}", "apiVersion": "2010-04-01", "from": frm, "to": to,
             "messageStatus": st.upper(), "messagingServiceSid": g.sid("MG")}
        if body is not None:
            d["body"] = body
        d["statusCallBackUrl"] = cb or g.c(["https://hooks.riverbendhealth.org/twilio/status",
                                            "https://api.lakesidecardio.org/v2/sms/callback",
                                            f"https://prod-{g.alnum(6, string.ascii_lowercase + string.digits)}.twil.io/status",
                                            "https://notify.summithb.org/status?src=reminders"])
        d.update({"mnc": g.c(["260", "480", "410", "012"]), "mcc": "310", "numberOfSegments": g.r.randint(1, 3),
                  "dateUpdated": g.ts(dt)})
        if st in ("failed", "undelivered"):
            d["errorCode"] = g.c([30003, 30005, 30006, 30007, 30008, 21610])
        if tags is not None:
            d["tags"] = tags
        return self.env(f"com.twilio.messaging.message.{st}",
                        f"/2010-04-01/Accounts/{acct}/Messages/{sm}.json", d, "Messaging.MessageStatus/7", dt=dt)

    def inbound(self, acct, frm, to, body, geo=True):
        g = self.g
        sm = g.sid("SM")
        dt = g.when()
        d = {"messageSid": sm, "timestamp": g.ts(dt), "accountSid": acct,
             "eventName": "com.twilio.messaging.inbound-message.received", "from": frm, "to": to,
             "numMedia": 0, "numSegments": 1, "body": body}
        if geo and frm.startswith("+1"):
            c1, c2 = g.city(), g.city()
            d.update({"toCountry": "US", "toState": c1[1], "toCity": c1[0].upper(), "toZip": g.zipc(c1),
                      "fromCountry": "US", "fromState": c2[1], "fromCity": c2[0].upper(), "fromZip": g.zipc(c2)})
        d.update({"mnc": "260", "mcc": "310", "messagingServiceSid": g.sid("MG")})
        return self.env("com.twilio.messaging.inbound-message.received",
                        f"/2010-04-01/Accounts/{acct}/Messages/{sm}.json", d, "Messaging.InboundMessageV1/6", dt=dt)

    # --- error logs
    def errlog(self, acct, payload_obj, product="Serverless", code="82005", level="INFO"):
        g = self.g
        no = g.uid("NO")
        dt = g.when()
        d = {"sid": no, "account_sid": acct, "date_created": g.ts(dt), "level": level,
             "master_account_sid": acct, "request_sid": g.sid("RQ"),
             "service_sid": g.sid("ZS") if product == "Serverless" else "",
             "correlation_sid": g.sid("ZE" if product == "Serverless" else "SM"),
             "product_name": product, "error_code": code,
             "payload": json.dumps(payload_obj, ensure_ascii=False)}
        ev = self.env("com.twilio.error-logs.error.logged", f"/v1/Alerts/{no}", d, "ErrorLogs.Error/2", dt=dt)
        ev["id"] = no
        return ev

    def log_console(self, acct, msg, level="INFO"):
        return self.errlog(acct, {"message": msg, "level": level,
                                  "function": self.g.c(["/reminders", "/intake", "/lookup", "/sync-ehr", "/ivr-handler"])},
                           "Serverless", "82005" if level == "INFO" else "82004", level)

    def log_11200(self, acct, params, url=None):
        g = self.g
        url = url or g.c(["https://app.riverbendhealth.org/sms", "https://api.lakesidecardio.org/inbound",
                          "https://ivr.summithb.org/voice/handle"])
        sm = params.get("MessageSid") or params.get("CallSid")
        p = {"resource_sid": sm, "service_sid": None, "error_code": "11200",
             "more_info": {"msg": f"An attempt to retrieve content from {url} returned the HTTP status code {g.c([500, 502, 503, 504])}",
                           "sourceComponent": "14100", "ErrorCode": "11200", "url": url, "LogLevel": "ERROR"},
             "webhook": {"type": "application/x-www-form-urlencoded",
                         "request": {"url": url, "method": "POST", "headers": {}, "parameters": params},
                         "response": {"status_code": g.c([500, 502, 504]), "headers": {}, "body": "Bad Gateway"}}}
        return self.errlog(acct, p, "Programmable SMS", "11200", "ERROR")

    def sms_params(self, acct, frm, to, body):
        return {"ToCountry": "US", "From": frm, "To": to, "Body": body, "MessageSid": self.g.sid("SM"),
                "AccountSid": acct, "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}

    # --- voice
    def voice(self, acct, typ, params, url=None, twiml=None):
        g = self.g
        ca = params.get("CallSid") or g.sid("CA")
        params.setdefault("CallSid", ca)
        params.setdefault("AccountSid", acct)
        dt = g.when()
        body = ""
        if twiml:
            body = base64.b64encode(('<?xml version="1.0" encoding="UTF-8"?><Response>' + twiml + "</Response>").encode()).decode()
        d = {"sid": ca, "requestDateCreated": g.rfc2822(dt), "timestamp": g.ts(dt), "eventSid": g.sid("VW"),
             "request": {"method": "POST", "url": url or g.c(["https://ivr.summithb.org/voice/status",
                                                                 "https://hooks.lakesidecardio.org/voice/events",
                                                                 "https://riverbend-ivr-3921.twil.io/handler"]),
                         "parameters": params},
             "response": {"responseCode": 200 if twiml else g.c([200, 204]), "requestDuration": g.r.randint(20, 900),
                          "contentType": "text/xml" if twiml else "", "responseBody": body,
                          "dateCreated": g.rfc2822(dt)}}
        ev = self.env(typ, f"/2010-04-01/Accounts/{acct}/Calls/{ca}.json", d, "Voice.WebhookEvent/2", "VW", dt)
        ev["id"] = d["eventSid"]
        return ev

    def call_params(self, frm, to, status="in-progress"):
        g = self.g
        p = {"From": frm, "To": to, "Caller": frm, "Called": to, "Direction": g.c(["inbound", "outbound-api"]),
             "CallStatus": status, "ApiVersion": "2010-04-01"}
        if frm.startswith("+1") and g.p(0.7):
            c = g.city()
            p.update({"FromCity": c[0].upper(), "FromState": c[1], "FromZip": g.zipc(c), "FromCountry": "US",
                      "CallerCity": c[0].upper(), "CallerState": c[1], "CallerZip": g.zipc(c)})
        return p

    # --- taskrouter
    def taskrouter(self, acct, evtype, task_attrs, worker_attrs=None):
        g = self.g
        dt = g.when()
        ev_sid = g.sid("EV")
        payload = {"sid": ev_sid, "eventtype": evtype, "account_sid": acct, "timestamp": g.ts(dt),
                   "workspace_sid": g.sid("WS"), "workspace_name": "Flex Task Assignment",
                   "task_sid": g.sid("WT"), "task_attributes": json.dumps(task_attrs, ensure_ascii=False),
                   "task_age": g.r.randint(1, 90000), "task_date_created": g.ts(dt), "task_priority": g.r.randint(0, 10),
                   "task_assignment_status": g.c(["pending", "reserved", "assigned", "wrapping", "completed"]),
                   "task_channel_sid": g.sid("TC"), "task_channel_unique_name": g.c(["voice", "sms", "chat"]),
                   "task_queue_sid": g.sid("WQ"), "task_queue_name": g.c(["Everyone", "Scheduling", "Billing", "Nurse Line", "Spanish"]),
                   "workflow_sid": g.sid("WW"), "workflow_name": g.c(["Assign to Anyone", "Patient Access", "Triage"])}
        if evtype.startswith(("reservation", "worker")) or worker_attrs is not None:
            wa = worker_attrs if worker_attrs is not None else {
                "routing": {"skills": g.r.sample(["sms", "voice", "spanish", "billing", "scheduling", "chat"], 2),
                            "levels": {"sms": g.r.randint(1, 5)}},
                "team_id": f"T-{g.r.randint(1, 40)}", "full_time": g.p(0.5)}
            payload.update({"reservation_sid": g.sid("WR"), "worker_sid": g.sid("WK"),
                            "worker_name": f"agent-{g.r.randint(100, 9999)}",
                            "worker_attributes": json.dumps(wa)})
        name = "".join(w.capitalize() for w in evtype.replace("-", ".").split("."))
        d = {"sid": ev_sid, "name": name, "account_sid": acct, "account_friendly_name": self.names[acct],
             "parent_account_sid": acct, "parent_friendly_name": self.names[acct], "timestamp": g.ts(dt),
             "level": "INFO", "group": evtype.split(".")[0], "product_name": "TaskRouter",
             "publisher": "Flex Task Assignment", "publisher_metadata": "{}", "payload_type": "application/json",
             "payload": payload}
        return self.env(f"com.twilio.taskrouter.{evtype}", f"/v1/Workspaces/{payload['workspace_sid']}/Events/{ev_sid}",
                        d, "TaskRouter.WDSEvent/4", dt=dt)

    def base_task_attrs(self, frm=None, channel=None):
        g = self.g
        frm = frm or g.e164_us()
        ch = channel or g.c(["sms", "voice", "chat"])
        a = {"from": frm, "name": frm, "channelType": ch, "direction": "inbound",
             "conversations": {"conversation_id": g.sid("WT"), "initiated_by": "customer"}}
        if ch == "voice":
            a.update({"call_sid": g.sid("CA"), "caller": frm, "called": g.e164_us(), "to": g.e164_us()})
        if ch == "sms":
            a.update({"channelSid": g.sid("CH"), "conversationSid": g.sid("CH")})
        if g.p(0.4):
            a["ivr_menu"] = g.c(["1", "2", "3", "scheduling", "billing", "other"])
        return a

    # --- conversations
    def conv(self, acct, typ, data_extra, schema):
        g = self.g
        ch = g.sid("CH")
        dt = g.when()
        d = {"AccountSid": acct, "ConversationSid": ch, "DateCreated": g.ts(dt)}
        d.update(data_extra)
        return self.env(f"com.twilio.conversations.{typ}", f"/v1/Conversations/{ch}", d, schema, dt=dt)

    def conv_message(self, acct, author, body, attrs=None):
        g = self.g
        ex = {"Author": author, "ParticipantSid": g.sid("MB"), "MessageSid": g.sid("IM"),
              "Index": g.r.randint(0, 80), "MessageBody": body, "MessagingServiceSid": g.sid("MG")}
        if attrs is not None:
            ex["Attributes"] = attrs
        return self.conv(acct, g.c(["message.added", "message.added", "message.updated"]), ex, "Conversations.MessageAdded/2")

    # --- verify
    def verify(self, acct, to, channel, tags=None, status=None):
        g = self.g
        dt = g.when()
        st = status or g.c(["approved", "pending", "canceled", "expired", "max_attempts_reached"])
        va, ve = g.sid("VA"), g.sid("VE")
        att = {"time": g.ts(dt), "channel": channel, "attempt_sid": g.sid("VL"),
               "delivery_status": g.c(["SENT", "DELIVERED", "UNDELIVERED"])}
        if tags is not None:
            att["tags"] = tags
        d = {"account_sid": acct, "service_sid": va, "verification_sid": ve,
             "friendly_name": g.c(["Patient Portal Login", "MyChart Sign-in", "Riverbend App", "Account Security"]),
             "custom_code_enabled": False, "created_at": g.ts(dt), "to": to, "verification_status": st.upper(),
             "country": "US" if to.startswith("+1") else "", "code_length": 6,
             "send_code_attempts": {"count": 1, "attempts": [att]}, "check_attempts": {"count": 0, "attempts": []}}
        if st == "approved":
            d["verified_at"] = g.ts(dt + timedelta(seconds=40))
        return self.env(f"com.twilio.accountsecurity.verify.verification.{st}",
                        f"/v2/Services/{va}/Verifications/{ve}", d, "AccountSecurity.VerifyEventStreamEvent/3", dt=dt)

    def verify_msg(self, acct, to, tags):
        g = self.g
        dt = g.when()
        st = g.c(["delivered", "failed", "sent", "undelivered"])
        d = {"created_at": g.ts(dt), "account_sid": acct, "service_sid": g.sid("VA"), "verification_sid": g.sid("VE"),
             "attempt_sid": g.sid("VL"), "error_code": "" if st != "failed" else "30008", "channel": "SMS",
             "message_status": st.upper(), "has_fallback": False, "is_fallback": False, "mnc": "260", "mcc": "310",
             "to": to, "number_segments": 1, "tags": tags}
        return self.env(f"com.twilio.accountsecurity.verify.message.{st}", f"/v2/Services/{d['service_sid']}",
                        d, "AccountSecurity.MessageStatusEvent/2", dt=dt)


# ------------------------------------------------------------------ scenario catalogue
def pop_campaign_tags(g):
    return {"campaign": g.c(["flu-shot-2026", "annual-wellness-visit", "newsletter-nov", "appt-reminders",
                             "covid-booster-fall", "portal-signup", "patient-survey-q4", "holiday-hours"]),
            "batch_id": g.uuid(), "send_date": f"2026-{g.r.randint(10, 12)}-{g.r.randint(1, 28):02d}"}


def ops_tags(g):
    t = {"env": g.c(["prod", "staging"]), "team": g.c(["access-center", "digital-front-door", "rev-cycle"]),
         "template": g.c(["appt_reminder_v3", "otp_v1", "survey_v2", "generic_notice"])}
    if g.p(0.5):
        t["job"] = f"job-{g.hexs(12)}"
    if g.p(0.3):
        t["order_ref"] = f"ORD-{g.r.randint(100000, 9999999)}"
    return t


def scen_violations(b):
    g = b.g
    H = lambda: b.acct(True)

    # ---- phi-in-tag
    def tag_ident():
        tags = ops_tags(g)
        kind, key, val = g.c([
            ("tag-mrn", g.c(["patient_mrn", "mrn", "MRN", "chart"]), g.mrn()),
            ("tag-name", g.c(["patient_name", "recipient", "pt"]), g.name()),
            ("tag-dob", g.c(["dob", "birth_date", "pt_dob"]), g.dob()),
            ("tag-member-id", g.c(["member_id", "insurance_id", "subscriber"]), g.member_id()),
            ("tag-email", g.c(["patient_email", "contact"]), g.email()),
            ("tag-appt-date", g.c(["appt_date", "visit_date"]), g.appt_text()),
            ("tag-phone", g.c(["callback", "alt_phone", "guardian_phone"]), g.phone_text()),
        ])
        tags[key] = val[:128]
        return b.msg_status(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "reminder"), tags), ["phi-in-tag"], kind

    def tag_health():
        tags = ops_tags(g)
        kind, key, val = g.c([
            ("tag-condition-campaign", "campaign", f"{g.c(['diabetes', 'chf', 'copd', 'hiv-prep', 'hep-c', 'oud', 'ckd', 'prenatal'])}-outreach-{g.c(['q4', '2026', 'nov'])}"),
            ("tag-drug-program", "program", f"{g.c(['ozempic', 'eliquis', 'suboxone', 'biktarvy', 'insulin', 'humira'])}-refill-program"),
            ("tag-dx-code", g.c(["dx", "icd10", "diag"]), g.c(ICD10)),
            ("tag-care-setting", g.c(["dept", "clinic"]), g.c(["oncology", "dialysis", "behavioral-health", "methadone-clinic", "fertility", "hiv-clinic"])),
            ("tag-condition", g.c(["reason", "condition"]), g.c(CONDITIONS)),
        ])
        tags[key] = val
        return b.msg_status(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "reminder"), tags), ["phi-in-tag"], kind

    def verify_tag():
        to = g.e164_us()
        key, val = g.c([("patient_id", g.mrn()), ("mrn", g.mrn()), ("pt_dob", g.dob()), ("dx", g.c(ICD10)),
                        ("patient", g.name())])
        tags = {"flow": "portal-login", key: val}
        if g.p(0.5):
            return b.verify(H(), to, "SMS", tags), ["phi-in-tag"], "verify-tag-ident"
        return b.verify_msg(H(), to, tags), ["phi-in-tag"], "verify-msg-tag-ident"

    # ---- phi-in-log
    def log_webhook():
        acct = H()
        frm = g.e164_us()
        body = phi_sentence(g)
        return b.log_11200(acct, b.sms_params(acct, frm, g.e164_us(), body)), ["phi-in-log"], "log-11200-body-health"

    def log_console():
        return b.log_console(H(), phi_log_message(g), g.c(["INFO", "INFO", "WARNING", "ERROR"])), ["phi-in-log"], "log-console-phi"

    def log_studio():
        acct = H()
        p = {"error_code": "81002" if g.p(0.5) else "81016",
             "message": g.c(["Failed to parse response from HTTP Request widget", "Liquid template error"]),
             "flow_sid": g.sid("FW"), "execution_sid": g.sid("FN"),
             "flow_data": {"patient_name": g.name(), "dob": g.dob(), "reason": g.c(CONDITIONS + PROCEDURES)}}
        return b.errlog(acct, p, "Studio", p["error_code"], "ERROR"), ["phi-in-log"], "log-studio-flow-data"

    def log_voice_speech():
        acct = H()
        params = b.call_params(g.e164_us(), g.e164_us())
        params["SpeechResult"] = g.c([f"I need a refill on my {g.c(MEDS)}",
                                      f"my date of birth is {g.c(MONTHS)} {g.r.randint(1, 28)} {g.r.randint(1935, 2005)}",
                                      f"I'm calling about my {g.c(PROCEDURES)} results"])
        return b.log_11200(acct, params, "https://ivr.summithb.org/voice/gather"), ["phi-in-log"], "log-11200-voice-speech"

    # ---- phi-on-ineligible-channel
    def wa_out():
        acct = H()
        return (b.msg_status(acct, "whatsapp:" + g.e164_us(), "whatsapp:" + g.e164_us(), phi_sentence(g)),
                ["phi-on-ineligible-channel"], "whatsapp-outbound-health")

    def wa_in():
        return (b.inbound(H(), "whatsapp:" + g.e164_us(), "whatsapp:" + g.e164_us(), phi_sentence(g), geo=False),
                ["phi-on-ineligible-channel"], "whatsapp-inbound-health")

    def messenger_in():
        return (b.inbound(H(), f"messenger:{g.r.randint(10**14, 10**16)}", f"messenger:{g.r.randint(10**14, 10**15)}",
                          phi_sentence(g), geo=False), ["phi-on-ineligible-channel"], "messenger-inbound-health")

    def rcs_out():
        return (b.msg_status(H(), "rcs:" + g.e164_us(), "rcs:" + g.c(["riverbend_health_agent", "lakeside_cardio"]),
                             phi_sentence(g)), ["phi-on-ineligible-channel"], "rcs-outbound-health")

    def conv_wa():
        if g.p(0.3):
            return (b.conv_message(H(), g.email(), phi_sentence(g)), ["phi-on-ineligible-channel"],
                    "conversations-email-author-health")
        return (b.conv_message(H(), "whatsapp:" + g.e164_us(), phi_sentence(g)), ["phi-on-ineligible-channel"],
                "conversations-whatsapp-health")

    # ---- phi-outside-us
    def sms_foreign():
        acct = H()
        far = g.e164_nonus()
        kind = "sms-to-canada-health" if far[2:5].isdigit() and int(far[2:5]) in CANADA_AREA and far.startswith("+1") else (
            "sms-to-caribbean-health" if far.startswith("+1") else "sms-to-intl-health")
        if g.p(0.35):
            return b.inbound(acct, far, g.e164_us(), phi_sentence(g), geo=False), ["phi-outside-us"], kind.replace("sms-to", "sms-from")
        return b.msg_status(acct, far, g.e164_us(), phi_sentence(g)), ["phi-outside-us"], kind

    def voice_foreign():
        acct = H()
        far = g.e164_nonus()
        if g.p(0.5):
            p = b.call_params(far, g.e164_us())
            p["SpeechResult"] = g.c([f"I need to reschedule my {g.c(PROCEDURES)}", f"calling about my {g.c(MEDS)} prescription",
                                     f"my {g.c(CONDITIONS)} is getting worse"])
            p["Confidence"] = f"0.{g.r.randint(60, 99)}"
            return b.voice(acct, "com.twilio.voice.twiml.gather.finished", p), ["phi-outside-us"], "voice-speech-nonus-caller"
        p = b.call_params(g.e164_us(), far, "in-progress")
        say = f"<Say>Hello {g.first()}. This is {g.facility(True)} calling about your {g.c(PROCEDURES)} on {g.appt_text()}.</Say>"
        return (b.voice(acct, "com.twilio.voice.twiml.call.redirected", p, twiml=say), ["phi-outside-us"],
                "voice-say-nonus-callee")

    # ---- phi-in-non-hipaa-account
    def nonhipaa():
        acct = b.acct(False)
        k = g.r.randint(0, 2)
        if k == 0:
            return b.msg_status(acct, g.e164_us(), g.e164_us(), phi_sentence(g)), ["phi-in-non-hipaa-account"], "nonhipaa-sms-health"
        if k == 1:
            return b.inbound(acct, g.e164_us(), g.e164_us(), phi_sentence(g)), ["phi-in-non-hipaa-account"], "nonhipaa-inbound-health"
        p = b.call_params(g.e164_us(), g.e164_us())
        p["TranscriptionText"] = f"Hi this is {g.first()} calling about my {g.c(CONDITIONS)}, please call me back"
        p["TranscriptionStatus"] = "completed"
        return (b.voice(acct, "com.twilio.voice.status-callback.transcription.processed", p),
                ["phi-in-non-hipaa-account"], "nonhipaa-voicemail-transcript")

    # ---- phi-in-attributes
    def attr_task():
        a = b.base_task_attrs()
        kind, upd = g.c([
            ("attr-task-customer-name", {"customerName": g.name()}),
            ("attr-task-dob", {"dob": g.dob()}),
            ("attr-task-mrn", {"mrn": g.mrn()}),
            ("attr-task-email", {"customers": {"email": g.email(), "external_id": g.hexs(8)}}),
            ("attr-task-reason-health", {"reason": g.c(CONDITIONS + PROCEDURES) + g.c([" follow-up", " question", ""])}),
            ("attr-task-member-id", {"insurance": {"member_id": g.member_id(), "payer": g.c(["Cigna", "Humana", "BCBS", "Medicaid"])}}),
            ("attr-task-address", {"customer_address": g.address()}),
        ])
        a.update(upd)
        ev = g.c(["task.created", "task.updated", "reservation.created", "reservation.accepted", "task.completed",
                  "task-queue.entered", "workflow.entered", "task.canceled"])
        return b.taskrouter(H(), ev, a), ["phi-in-attributes"], kind

    def attr_conv():
        attrs = {"source": "portal"}
        kind, upd = g.c([("attr-conv-patient-name", {"patient_name": g.name()}),
                         ("attr-conv-condition", {"topic": g.c(CONDITIONS)}),
                         ("attr-conv-dob", {"dob": g.dob()}),
                         ("attr-conv-email", {"email": g.email()})])
        attrs.update(upd)
        if g.p(0.5):
            return (b.conv(H(), "conversation.added", {"Attributes": attrs, "FriendlyName": f"Conv {g.r.randint(1000, 99999)}",
                                                         "State": "active", "UniqueName": g.uuid(),
                                                         "MessagingServiceSid": g.sid("MG")},
                           "Conversations.ConversationAdded/2"), ["phi-in-attributes"], kind)
        return (b.conv(H(), "participant.added", {"ParticipantSid": g.sid("MB"), "Identity": g.uuid(),
                                                    "Attributes": json.dumps(attrs, ensure_ascii=False),
                                                    "RoleSid": g.sid("RL"),
                                                    "MessagingBinding": {"Address": g.e164_us(), "ProxyAddress": g.e164_us(), "Type": "sms"}},
                       "Conversations.ParticipantAdded/2"), ["phi-in-attributes"], kind)

    # ---- phi-in-url
    def url_cb():
        host = g.c(["https://hooks.riverbendhealth.org/status", "https://api.lakesidecardio.org/v2/sms/callback",
                    "https://ehr-bridge.summithb.org/twilio"])
        kind, q = g.c([
            ("url-query-name", {"patient": g.name(0)}),
            ("url-query-mrn", {"mrn": g.mrn()}),
            ("url-query-dob", {"dob": g.date_text(g.dob_dt())}),
            ("url-query-email", {"email": g.email()}),
            ("url-query-condition", {"dx": g.c(CONDITIONS)}),
            ("url-query-ssn", {"ssn": g.ssn()}),
        ])
        q["src"] = "reminders"
        enc = g.p(0.5)
        qs = urllib.parse.urlencode(q, quote_via=urllib.parse.quote if enc else urllib.parse.quote_plus)
        url = f"{host}?{qs}"
        if enc:
            kind += "-pctenc"
        return b.msg_status(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "reminder"), ops_tags(g), cb=url), ["phi-in-url"], kind

    def url_voice():
        acct = H()
        p = b.call_params(g.e164_us(), g.e164_us(), "ringing")
        kind, q = g.c([("url-voice-patient-name", {"patient_name": g.name(0)}),
                       ("url-voice-dob", {"dob": g.date_text(g.dob_dt())}),
                       ("url-voice-appt-reason", {"reason": g.c(PROCEDURES)})])
        q["lang"] = "en"
        url = "https://ivr.summithb.org/voice/outreach?" + urllib.parse.urlencode(q)
        typ = g.c(["com.twilio.voice.api-request.call.created", "com.twilio.voice.status-callback.call.initiated",
                   "com.twilio.voice.status-callback.call.ringing"])
        return b.voice(acct, typ, p, url=url), ["phi-in-url"], kind

    def url_link():
        acct = H()
        dt = g.when()
        q = g.c([{"name": g.name(0)}, {"mrn": g.mrn()}, {"test": g.c(["hiv", "pregnancy", "std-panel", "biopsy"])}])
        orig = f"https://results.riverbendhealth.org/view?{urllib.parse.urlencode(q)}"
        d = {"account_sid": acct, "messaging_service_sid": g.sid("MG"), "message_sid": g.sid("SM"),
             "link_sid": g.sid("LK") if g.p(0.5) else g.alnum(10),
             "short_link": f"https://rvbh.link/{g.alnum(7)}", "original_link": orig,
             "clicked_at" if g.p(0.6) else "shortened_at": g.ts(dt), "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"}
        typ = "com.twilio.daptbt.link-shortening.link-" + g.c(["clicked", "shortened"])
        return (b.env(typ, f"/v1/Accounts/{acct}/LinkShortening", d, "LinkShortening.LinkEvent/1", dt=dt),
                ["phi-in-url"], "url-link-shortening-original")

    # ---- credential-exposed
    def cred_log():
        return b.log_console(H(), credential_text(g), g.c(["INFO", "ERROR"])), ["credential-exposed"], "cred-console-log"

    def cred_webhook_header():
        acct = H()
        tok = g.auth_token()
        params = {"CallSid": g.sid("CA"), "CallStatus": "completed", "AccountSid": acct, "Direction": "outbound-api"}
        ev = b.log_11200(acct, params)
        p = json.loads(ev["data"]["payload"])
        p["webhook"]["request"]["headers"] = {"X-Debug-Auth": f"auth_token={tok}", "User-Agent": "TwilioProxy/1.1"}
        ev["data"]["payload"] = json.dumps(p)
        return ev, ["credential-exposed"], "cred-in-logged-headers"

    def cred_url():
        url = f"https://hooks.riverbendhealth.org/status?{g.c(['authToken', 'auth_token', 'twilio_token'])}={g.auth_token()}"
        return b.msg_status(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "reminder"), cb=url), ["credential-exposed"], "cred-in-callback-url"

    return [
        (cred_url, 1),
        (tag_ident, 6), (tag_health, 5), (verify_tag, 2),
        (log_webhook, 4), (log_console, 5), (log_studio, 2), (log_voice_speech, 2),
        (wa_out, 3), (wa_in, 3), (messenger_in, 2), (rcs_out, 2), (conv_wa, 2),
        (sms_foreign, 5), (voice_foreign, 3),
        (nonhipaa, 5),
        (attr_task, 6), (attr_conv, 3),
        (url_cb, 4), (url_voice, 2), (url_link, 1),
        (cred_log, 3), (cred_webhook_header, 1),
    ]


def scen_clean(b):
    g = b.g
    H = lambda: b.acct(True)

    def sms_reminder():
        tags = pop_campaign_tags(g) if g.p(0.6) else (ops_tags(g) if g.p(0.5) else None)
        return b.msg_status(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "reminder"), tags), "clean-neutral-reminder"

    def sms_phi_allowed():
        return b.msg_status(H(), g.e164_us(), g.e164_us(), phi_sentence(g), ops_tags(g) if g.p(0.4) else None), "clean-phi-allowed-us-sms"

    def inbound_phi_allowed():
        return b.inbound(H(), g.e164_us(), g.e164_us(), phi_sentence(g)), "clean-phi-allowed-inbound-sms"

    def inbound_chat():
        return b.inbound(H(), g.e164_us(), g.e164_us(), clean_sentence(g, "chat")), "clean-inbound-chat-geo-fields"

    def otp():
        acct = b.acct(g.p(0.6))
        to = g.c([g.e164_us, g.e164_us, g.e164_nonus])()
        return b.msg_status(acct, to, g.e164_tollfree() if g.p(0.3) else g.e164_us(), clean_sentence(g, "otp")), "clean-otp"

    def marketing_nonhipaa():
        return (b.msg_status(b.acct(False), g.e164_us(), g.e164_tollfree(), clean_sentence(g, g.c(["marketing", "delivery", "ops"])),
                             {"campaign": g.c(["black-friday", "holiday-hours", "loyalty"]), "send_date": "2026-11-2" + str(g.r.randint(0, 9))}),
                "clean-marketing-nonhipaa")

    def foreign_no_phi():
        return b.msg_status(H(), g.e164_nonus(), g.e164_us(), clean_sentence(g, g.c(["reminder", "otp", "ops"]))), "clean-nonus-no-phi"

    def wa_clean():
        acct = b.acct(g.p(0.5))
        if g.p(0.5):
            return b.msg_status(acct, "whatsapp:" + g.e164_us(), "whatsapp:" + g.e164_us(),
                                clean_sentence(g, g.c(["delivery", "otp", "ops", "marketing"]))), "clean-whatsapp-no-phi"
        return b.inbound(acct, "whatsapp:" + g.e164_us(), "whatsapp:" + g.e164_us(), clean_sentence(g, "chat"), geo=False), "clean-whatsapp-no-phi"

    def portal_link():
        body = f"Your visit summary is ready: https://portal.{g.c(['riverbendhealth', 'lakesidecardio'])}.org/v/{g.alnum(22, string.ascii_letters + string.digits + '-_')}"
        return b.msg_status(H(), g.e164_us(), g.e164_us(), body, pop_campaign_tags(g),
                            cb=f"https://hooks.riverbendhealth.org/status?token={g.uuid()}&bodySHA256={g.hexs(64)}"), "clean-opaque-portal-link"

    def voice_status():
        acct = H()
        st = g.c(["initiated", "ringing", "answered", "completed"])
        p = b.call_params(g.e164_us(), g.e164_us(), st if st != "answered" else "in-progress")
        if st == "completed":
            p.update({"CallDuration": str(g.r.randint(3, 900)), "Duration": str(g.r.randint(1, 15))})
        typ = g.c([f"com.twilio.voice.status-callback.call.{st}", f"com.twilio.voice.webhook.status-callback.call.{st}"])
        return b.voice(acct, typ, p), "clean-voice-status-geo-params"

    def voice_menu():
        acct = H()
        p = b.call_params(g.e164_nonus() if g.p(0.3) else g.e164_us(), g.e164_us())
        p["Digits"] = g.c(["1", "2", "3", "0", "9"])
        say = g.c(["<Say>Thank you. Please hold while we connect you.</Say><Enqueue>scheduling</Enqueue>",
                   "<Say>For appointments press 1. For billing press 2.</Say><Gather numDigits=\"1\"/>",
                   f"<Redirect method=\"POST\">https://ivr.summithb.org/voice/menu?step={g.r.randint(1, 5)}</Redirect>"])
        typ = g.c(["com.twilio.voice.twiml.gather.finished", "com.twilio.voice.twiml.call.redirected",
                   "com.twilio.voice.twiml.dial.finished", "com.twilio.voice.twiml.enqueue.finished"])
        return b.voice(acct, typ, p, twiml=say), "clean-voice-ivr-menu"

    def voice_phi_allowed():
        acct = H()
        p = b.call_params(g.e164_us(), g.e164_us())
        p["SpeechResult"] = g.c([f"I need to refill my {g.c(MEDS)}", f"I want to reschedule my {g.c(PROCEDURES)}",
                                 f"my {g.c(CONDITIONS)} symptoms are worse"])
        if g.p(0.5):
            say = f"<Say>Hello {g.first()}, this is {g.facility(True)} reminding you about your {g.c(PROCEDURES)} on {g.appt_text()}.</Say>"
            return b.voice(acct, "com.twilio.voice.twiml.call.redirected", b.call_params(g.e164_us(), g.e164_us()),
                           twiml=say), "clean-phi-allowed-us-voice-say"
        return b.voice(acct, "com.twilio.voice.twiml.gather.finished", p,
                       twiml="<Say>Thanks, a nurse will call you back.</Say>"), "clean-phi-allowed-us-voice"

    def voice_recording():
        acct = H()
        p = b.call_params(g.e164_us(), g.e164_us(), "completed")
        rec = g.sid("RE")
        p.update({"RecordingSid": rec, "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{acct}/Recordings/{rec}",
                  "RecordingDuration": str(g.r.randint(4, 120)), "RecordingStatus": "completed"})
        typ = g.c(["com.twilio.voice.status-callback.recording.processed", "com.twilio.voice.twiml.record.finished",
                   "com.twilio.voice.status-callback.amd.detected"])
        if typ.endswith("amd.detected"):
            p = b.call_params(g.e164_us(), g.e164_us())
            p["AnsweredBy"] = g.c(["human", "machine_end_beep", "fax"])
        return b.voice(acct, typ, p), "clean-voice-recording-url"

    def insights():
        acct = b.acct(g.p(0.7))
        dt = g.when()
        ca = g.sid("CA")
        far = g.e164_nonus() if g.p(0.4) else g.e164_us()
        c = g.city()
        d = {"call_sid": ca, "account_sid": acct, "parent_call_sid": "", "parent_account_sid": "",
             "start_time": g.ts(dt), "end_time": g.ts(dt + timedelta(seconds=90)), "duration": 90,
             "connect_duration": 84, "call_type": "carrier", "call_state": "completed",
             "from": {"caller": far, "callee": "", "carrier": g.c(["T-Mobile USA", "Verizon Wireless", "Rogers", "Digicel"]),
                      "connection": "mobile", "number_prefix": far[1:8],
                      "location": {"lat": round(g.r.uniform(25, 48), 2), "lon": round(g.r.uniform(-122, -70), 2)},
                      "city": c[0], "country_code": "US" if far.startswith("+1") else "", "country_subdivision": c[1],
                      "ip_address": "", "sdk": None},
             "to": {"caller": "", "callee": g.e164_us(), "carrier": "", "connection": "voip", "number_prefix": "",
                    "location": None, "city": "", "country_code": "US", "country_subdivision": "", "ip_address": "", "sdk": None},
             "processing_state": "complete", "processing_version": 2, "tags": g.c([[], ["high_pdd"], ["silence"]]),
             "attributes": None, "properties": {"direction": "inbound", "disconnected_by": "caller", "pdd_ms": g.r.randint(500, 4000)}}
        typ = "com.twilio.voice.insights.call-summary." + g.c(["complete", "partial", "predicted-complete"])
        if g.p(0.3):
            typ = "com.twilio.voice.insights.call-event.gateway"
            d = {"timestamp": g.ts(dt), "call_sid": ca, "account_sid": acct, "edge": "carrier_edge", "name": "answered",
                 "group": "call_progress", "level": "INFO",
                 "carrier_edge": {"metadata": {"region": "us1", "twilio_ip": f"54.172.60.{g.r.randint(1, 250)}",
                                               "external_ip": f"{g.r.randint(11, 220)}.{g.r.randint(0, 255)}.{g.r.randint(0, 255)}.{g.r.randint(1, 254)}",
                                               "edge_location": "ashburn"}}}
            return b.env(typ, f"/v1/Voice/{ca}/Events", d, "VoiceInsights.CallEvent/3", dt=dt), "clean-voice-insights"
        return b.env(typ, f"/v1/Voice/{ca}/Summary", d, "VoiceInsights.CallSummary/2", dt=dt), "clean-voice-insights"

    def log_ops():
        k = g.r.randint(0, 2)
        acct = b.acct(g.p(0.8))
        if k == 0:
            p = {"error_code": 93101, "message": f"Error delivering event to webhook: {g.c(['500 Internal Server Error', '504 Gateway Timeout', '429 Too Many Requests'])}"}
            return b.errlog(acct, p, "Event Streams", "93101", "ERROR"), "clean-log-eventstreams"
        if k == 1:
            return b.log_console(acct, clean_log_message(g)), "clean-log-console-ops"
        params = b.sms_params(acct, g.e164_us(), g.e164_us(), g.c(["STOP", "YES", "C", "R", "Y", "HELP", "ok", "Thanks!"]))
        return b.log_11200(acct, params), "clean-log-11200-no-health"

    def studio():
        acct = H()
        dt = g.when()
        fw, fn = g.sid("FW"), g.sid("FN")
        if g.p(0.5):
            st = g.c(["started", "ended"])
            d = {"execution_sid": fn, "account_sid": acct, "flow_sid": fw,
                 "contact_channel_address": g.c([g.e164_us(), "whatsapp:" + g.e164_us(), "client:" + g.uuid()]),
                 "status": "active" if st == "started" else "ended", "ended_reason": "" if st == "started" else "FLOW_END",
                 "date_created": g.ts(dt), "date_updated": g.ts(dt), "started_by": g.sid("CA"), "flow_revision": g.r.randint(1, 400)}
            return b.env(f"com.twilio.studio.flow.execution.{st}", f"/v2/Flows/{fw}/Executions/{fn}", d,
                         "Studio.FlowExecutionEvent/2", dt=dt), "clean-studio-execution"
        d = {"account_sid": acct, "flow_sid": fw, "execution_sid": fn, "step_sid": g.sid("FT"), "parent_step_sid": None,
             "name": g.c(["send_and_reply_1", "split_on_reply", "gather_dob", "http_ehr_lookup", "connect_to_nurse", "set_variables_3"]),
             "transitioned_from": g.c(["Trigger", "split_1", "gather_1"]), "transitioned_to": g.c(["Ended", "split_2", "send_message_2"]),
             "date_created": g.ts(dt)}
        return b.env("com.twilio.studio.flow.step.ended", f"/v2/Flows/{fw}/Executions/{fn}/Steps/{d['step_sid']}", d,
                     "Studio.FlowStepEvent/2", dt=dt), "clean-studio-step"

    def task_clean():
        a = b.base_task_attrs()
        if g.p(0.3):
            a["customers"] = {"external_id": g.uuid(), "segment": "patient-access"}
        ev = g.c(["task.created", "task.updated", "reservation.created", "reservation.accepted", "task.completed",
                  "task-queue.entered", "workflow.entered", "task.wrapup", "reservation.rejected"])
        return b.taskrouter(H(), ev, a), "clean-task-routing-attrs"

    def worker_clean():
        a = {"contact_uri": f"client:{g.uuid()}", "routing": {"skills": ["voice", "sms"]}}
        return b.taskrouter(H(), g.c(["worker.activity.update", "worker.capacity.update"]), b.base_task_attrs(), a), "clean-worker-event"

    def conv_clean():
        acct = H()
        k = g.r.randint(0, 3)
        if k == 0:
            return b.conv_message(acct, g.e164_us(), phi_sentence(g), {"channel": "sms"}), "clean-phi-allowed-conversations-sms"
        if k == 1:
            return b.conv_message(acct, "system", clean_sentence(g, "reminder"), {"ticket": g.uuid()}), "clean-conversations-message"
        if k == 2:
            return (b.conv(acct, "conversation.added", {"Attributes": {"source": "sms", "queue": "scheduling", "external_id": g.uuid()},
                                                        "FriendlyName": f"SMS {g.r.randint(1000, 99999)}", "State": "active",
                                                        "UniqueName": g.uuid(),
                                                        "MessagingBinding": {"Address": g.e164_us(), "ProxyAddress": g.e164_us()}},
                           "Conversations.ConversationAdded/2"), "clean-conversations-attrs-opaque")
        return (b.conv(acct, g.c(["participant.added", "participant.updated"]),
                       {"ParticipantSid": g.sid("MB"), "Identity": g.uuid(), "RoleSid": g.sid("RL"), "Attributes": "{}",
                        "MessagingBinding": {"Address": g.e164_us(), "ProxyAddress": g.e164_us(), "Type": "sms"}},
                       "Conversations.ParticipantAdded/2"), "clean-conversations-participant")

    def verify_clean():
        acct = b.acct(g.p(0.7))
        if g.p(0.6):
            ch = g.c(["SMS", "SMS", "CALL", "EMAIL", "WHATSAPP"])
            to = g.email() if ch == "EMAIL" else (("whatsapp:" if False else "") + g.c([g.e164_us, g.e164_us, g.e164_nonus])())
            tags = {"flow": g.c(["portal-login", "password-reset", "mfa"]), "app_version": f"{g.r.randint(3, 9)}.{g.r.randint(0, 20)}.{g.r.randint(0, 9)}"} if g.p(0.5) else None
            return b.verify(acct, to, ch, tags), "clean-verify"
        return b.verify_msg(acct, g.c([g.e164_us, g.e164_nonus])(), {"flow": "mfa", "request_id": g.uuid()}), "clean-verify"

    def link_clean():
        acct = b.acct(g.p(0.6))
        dt = g.when()
        d = {"account_sid": acct, "messaging_service_sid": g.sid("MG"), "message_sid": g.sid("SM"),
             "short_link": f"https://rvbh.link/{g.alnum(7)}",
             "original_link": g.c([f"https://portal.riverbendhealth.org/v/{g.alnum(24)}",
                                   f"https://shop.example-outfitters.com/sale?utm_source=sms&utm_campaign={g.c(['black_friday', 'flu_shot_2026', 'holiday'])}",
                                   f"https://track.ups.com/t/1Z{g.alnum(16, string.ascii_uppercase + string.digits)}"]),
             "clicked_at": g.ts(dt), "user_agent": "Mozilla/5.0 (Linux; Android 15)"}
        return b.env("com.twilio.daptbt.link-shortening.link-clicked", f"/v1/Accounts/{acct}/LinkShortening", d,
                     "LinkShortening.LinkEvent/1", dt=dt), "clean-link-shortening"

    def misc():
        acct = b.acct(g.p(0.7))
        dt = g.when()
        k = g.r.randint(0, 2)
        if k == 0:
            st = g.c(["processing", "completed"])
            d = {"account_sid": acct, "operation_id": g.uuid(), "status": st.upper(), "total": g.r.randint(1, 50000),
                 "timestamp": g.ts(dt)}
            return b.env(f"com.twilio.comms-api.operation.{st}", f"/v1/Operations/{d['operation_id']}", d,
                         f"CommsApi.Operation{st.capitalize()}/2", dt=dt), "clean-comms-api"
        if k == 1:
            d = {"account_sid": acct, "date_created": g.ts(dt), "service_sid": g.sid("GA"), "transcript_sid": g.sid("GT")}
            return b.env("com.twilio.engagement-intelligence.transcript.finished", f"/v2/Transcripts/{d['transcript_sid']}", d,
                         "EngagementIntelligence.TranscriptEvent/1", dt=dt), "clean-intelligence-ids"
        ev = b.env("com.twilio.eventstreams.test-event", "Sink", {"test_id": g.uuid()}, "EventStreams.TestSink/1.json", dt=dt)
        ev["id"] = g.uid("AC")
        return ev, "clean-test-event"

    return [
        (sms_reminder, 9), (sms_phi_allowed, 6), (inbound_phi_allowed, 4), (inbound_chat, 4), (otp, 5),
        (marketing_nonhipaa, 6), (foreign_no_phi, 3), (wa_clean, 3), (portal_link, 3), (voice_status, 5),
        (voice_menu, 3), (voice_phi_allowed, 2), (voice_recording, 3), (insights, 4), (log_ops, 7), (studio, 4),
        (task_clean, 6), (worker_clean, 2), (conv_clean, 5), (verify_clean, 4), (link_clean, 2), (misc, 2),
    ]


def weighted(g, items):
    tot = sum(w for _, w in items)
    x = g.r.random() * tot
    for f, w in items:
        x -= w
        if x <= 0:
            return f
    return items[-1][0]


# ------------------------------------------------------------------ SMS corpus with spans
def sms_phi(g):
    t = T()
    f = g.first()
    k = g.r.randint(0, 19)
    case = lambda s: g.c([s, s, s, s.lower(), s.upper()])
    if k == 0:
        t.add(g.c(["Hi ", "Hello ", "Hey ", "Hola "])).add(case(f), "name").add(", your ").add(g.c(MEDS), "medication").add(" refill is ready at the pharmacy counter.")
    elif k == 1:
        t.add("Reminder for ").add(case(g.name()), "name").add(": ").add(g.c(PROCEDURES), "procedure").add(" on ").add(g.appt_text(), "date").add(" at ").add(g.facility(), "care_setting").add(".")
    elif k == 2:
        t.add("pls call me back about my ").add(g.c(LAB_RESULTS), "procedure").add(" results, my cell is ").add(g.phone_text(), "phone")
    elif k == 3:
        t.add("This is ").add(f, "name").add(" ").add(g.c(LAST), "name").add(", DOB ").add(g.dob(), "date").add(". I need to cancel my appt")
    elif k == 4:
        t.add(g.c(["Pt ", "patient ", "PT: "])).add(g.name(), "name").add(g.c([" MRN ", " mrn#", ", MRN: "])).add(g.mrn(), "mrn").add(" - ").add(g.c(CONDITIONS), "condition").add(" f/u")
    elif k == 5:
        t.add("my insurance id is ").add(g.member_id(), "health_plan_id").add(g.c([" and group 88412", "", " (BCBS)"]))
    elif k == 6:
        t.add("SSN ").add(g.ssn(), "ssn").add(" for the billing form, thx")
    elif k == 7:
        t.add("new address: ").add(g.address(), "address").add(". please update my chart")
    elif k == 8:
        t.add("send the forms to ").add(g.email(), "email").add(" pls")
    elif k == 9:
        t.add("for ").add(f.lower(), "name").add(": take ").add(g.c(MEDS), "medication").add(" twice daily w/ food")
    elif k == 10:
        t.add("Your ").add(g.c(["HIV", "hep C", "STI", "pregnancy", "strep"]) + " test", "procedure").add(" result is available. Call ").add(g.facility(True), "care_setting").add(".")
    elif k == 11:
        t.add("Mom (").add(g.r.choice([str(g.r.randint(90, 104)), f"{g.r.randint(90, 103)} yo", f"{g.r.randint(90, 101)} years old"]), "age").add(") was admitted to ").add(g.facility(False), "care_setting").add(" last night w/ ").add(g.c(CONDITIONS), "condition")
    elif k == 12:
        t.add("Appt confirmed ").add(g.appt_text(), "date").add(" w/ Dr. " + g.c(LAST) + " — ").add(g.c(["oncology", "dialysis", "cardiology", "psychiatry", "OB/GYN"]), "care_setting")
    elif k == 13:
        t.add("I live in ").add(g.city()[0], "geo").add(" near ").add(g.c(STREET_NAMES) + " " + g.c(STREET_TYPES), "address").add(", can I go to the closer clinic for my ").add(g.c(PROCEDURES), "procedure").add("?")
    elif k == 14:
        t.add("Dx ").add(g.c(ICD10), "medical_code").add(", started ").add(g.c(MEDS), "medication")
    elif k == 15:
        c = g.city()
        t.add("pharmacy zip is ").add(g.zipc(c), "zip").add(", can you send the ").add(g.c(MEDS), "medication").add(" script there")
    elif k == 16:
        t.add("View your results: ").add(f"https://portal.riverbendhealth.org/r?mrn={g.mrn()}&name={urllib.parse.quote(g.name(0))}", "url")
    elif k == 17:
        t.add(g.c(["Hi ", "Dear "])).add(case(g.name()), "name").add(", we miss you! It's been a while since your last ").add(g.c(["dialysis session", "chemo infusion", "therapy session", "methadone dose"]), "procedure").add(".")
    elif k == 18:
        t.add("baby ").add(f, "name").add(" born ").add(g.date_text(datetime(2026, g.r.randint(1, 11), g.r.randint(1, 28))), "date").add(" at ").add(g.facility(False), "care_setting").add(" 🎉")
    else:
        t.add("call ").add(g.phone_text(g.e164_nonus()), "phone").add(" it's my sister's number, she handles my ").add(g.c(CONDITIONS), "condition").add(" stuff")
    return t


def sms_clean(g):
    t = T()
    t.add(clean_sentence(g, g.c(["reminder", "otp", "marketing", "delivery", "chat", "chat", "ops"])))
    return t


# ------------------------------------------------------------------ clinical queries
def query_phi(g):
    t = T()
    k = g.r.randint(0, 11)
    age = g.r.randint(18, 88)
    sx = g.c(["M", "F", " yo male", " yo female", "yo F", "yoM"])
    if k == 0:
        t.add(f"{age}{sx} with ").add(g.c(CONDITIONS), "condition").add(", admitted ").add(g.date_text(datetime(g.r.randint(2019, 2026), g.r.randint(1, 12), g.r.randint(1, 28))), "date").add(" to ").add(g.facility(False), "care_setting").add(", MRN ").add(g.mrn(), "mrn")
    elif k == 1:
        t.add(g.name(), "name").add(" ").add(g.c(MEDS), "medication").add(" dose adjust for ").add(g.c(["eGFR 28", "CrCl 25", "ESRD"]), "condition")
    elif k == 2:
        t.add(f"{g.r.randint(90, 104)}", "age").add(g.c(["yo", " y/o", " year old"])).add(" ").add(g.c(["woman", "man", "F", "M"])).add(" ").add(g.c(CONDITIONS), "condition").add(" anticoag?")
    elif k == 3:
        t.add("pt ").add(g.name(), "name").add(" DOB ").add(g.dob(), "date").add(" ").add(g.c(CONDITIONS), "condition").add(" workup")
    elif k == 4:
        t.add("d/c summary for ").add(g.c(LAST).upper(), "name").add(" discharged ").add(g.date_text(datetime(2026, g.r.randint(1, 11), g.r.randint(1, 28))), "date")
    elif k == 5:
        c = g.city()
        t.add(f"{age}{sx} from ").add(c[0], "geo").add(f", {c[1]} ").add(g.c(CONDITIONS), "condition").add(" outbreak exposure?")
    elif k == 6:
        t.add("callback ").add(g.phone_text(), "phone").add(" re ").add(g.c(LAB_RESULTS), "procedure")
    elif k == 7:
        t.add("MRN ").add(g.mrn(), "mrn").add(" ").add(g.c(PROCEDURES), "procedure").add(" prep instructions")
    elif k == 8:
        t.add("Mrs. ").add(g.c(LAST), "name").add(f", {age}, ").add(g.c(CONDITIONS), "condition").add(" on ").add(g.c(MEDS), "medication").add(", next step?")
    elif k == 9:
        t.add(f"{age}{sx} ").add(g.c(CONDITIONS), "condition").add(", seen ").add(g.c(["3/4", "11/12", "Oct 3", "10/28/2026", "yesterday 10/30"]), "date").add(" at ").add(g.facility(True), "care_setting")
    elif k == 10:
        t.add("lives at ").add(g.address(), "address").add(", ").add(g.c(CONDITIONS), "condition").add(" home health referral")
    else:
        t.add("member ").add(g.member_id(), "health_plan_id").add(" prior auth ").add(g.c(MEDS), "medication")
    return t


def query_noid(g):
    t = T()
    k = g.r.randint(0, 7)
    age = g.r.randint(18, 88)
    if k == 0:
        t.add("first-line treatment for ").add(g.c(CONDITIONS), "condition").add(" in elderly with CKD")
    elif k == 1:
        t.add(g.c(MEDS), "medication").add(" dosing in ").add(g.c(CONDITIONS), "condition")
    elif k == 2:
        t.add(f"{age}{g.c(['M', 'F', ' yo male', ' yo female'])} ").add(g.c(CONDITIONS), "condition").add(" on ").add(g.c(MEDS), "medication").add(", next step?")
    elif k == 3:
        t.add("interaction ").add(g.c(MEDS), "medication").add(" and ").add(g.c(MEDS), "medication")
    elif k == 4:
        t.add("ICD-10 for ").add(g.c(CONDITIONS), "condition")
    elif k == 5:
        t.add(f"guidelines {g.r.randint(2019, 2026)} ").add(g.c(CONDITIONS), "condition").add(" screening age")
    elif k == 6:
        t.add("when to order ").add(g.c(PROCEDURES), "procedure").add(" after ").add(g.c(CONDITIONS), "condition").add(" dx")
    else:
        t.add(f"peds dose {g.c(['amoxicillin', 'ibuprofen', 'ondansetron'])} {g.r.randint(8, 40)} kg")
    return t


IDENT = {"name", "address", "geo", "zip", "date", "age", "phone", "email", "ssn", "mrn", "health_plan_id",
         "account_number", "license_number", "vehicle_id", "device_id", "url", "ip_address", "npi",
         "credit_card", "other_id"}


def wrap_wa(b, acct, text):
    return b.msg_status(acct, "whatsapp:" + b.g.e164_us(), "whatsapp:" + b.g.e164_us(), text, status="sent")


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--sms", type=int, default=600)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    g = G(a.seed)
    hipaa, non, names = make_accounts(g)
    b = Builder(g, hipaa, non, names)
    V, C = scen_violations(b), scen_clean(b)

    with open(os.path.join(a.out, "config.toml"), "w") as f:
        f.write("# blind eval: HIPAA-designated accounts (non-HIPAA: " + ", ".join(non) + ")\n")
        f.write("[policy]\nhipaa_accounts = [" + ", ".join(f'"{x}"' for x in hipaa) + "]\n")

    with open(os.path.join(a.out, "events.jsonl"), "w") as fe, open(os.path.join(a.out, "expected.jsonl"), "w") as fx:
        for i in range(a.events):
            if g.r.random() < 1 / 3:
                ev, rules, kind = weighted(g, V)()
            else:
                ev, kind = weighted(g, C)()
                rules = []
            if g.r.random() < 0.05 and isinstance(ev["data"], dict):
                ev["data"] = json.dumps(ev["data"], ensure_ascii=False)  # older docs quirk: data as a JSON string
            fe.write(json.dumps(ev, ensure_ascii=False) + "\n")
            fx.write(json.dumps({"id": ev["id"], "rules": sorted(rules), "kind": kind}) + "\n")

    for name, n, phi_fn, clean_fn in (("sms", a.sms, sms_phi, sms_clean), ("queries", a.queries, query_phi, query_noid)):
        evname = "sms-events.jsonl" if name == "sms" else "query-events.jsonl"
        with open(os.path.join(a.out, f"{name}.jsonl"), "w") as ft, open(os.path.join(a.out, f"{name}-gold.jsonl"), "w") as fg, \
                open(os.path.join(a.out, evname), "w") as fv:
            for i in range(n):
                has = g.r.random() < 0.5
                t = phi_fn(g) if has else clean_fn(g)
                tid = f"{name}-{i:04d}"
                text = t.text()
                spans = t.spans
                if name == "queries":
                    has = any(s[2] in IDENT for s in spans)
                ev = wrap_wa(b, hipaa[0], text)
                ft.write(json.dumps({"id": tid, "text": text}, ensure_ascii=False) + "\n")
                fg.write(json.dumps({"id": tid, "event_id": ev["id"], "has_phi" if name == "sms" else "has_identifier": has,
                                     "spans": spans}, ensure_ascii=False) + "\n")
                fv.write(json.dumps(ev, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
