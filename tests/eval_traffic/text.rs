//! Text with labelled spans, and generators of the PHI pieces people actually type: names in
//! every case and shape, identifiers behind labels in non-canonical formats, person-tied dates,
//! places and facilities, and health terms. The same pieces fill event fields (where the policy
//! decides what alerts) and the SMS-length texts (where every gold span must be found).

use super::rng::Rng;
use super::vocab::*;

/// A gold span: UTF-8 byte offsets and what it is (a category name of interface.md).
#[derive(Debug, Clone)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub category: &'static str,
}

#[derive(Debug, Default, Clone)]
pub struct Text {
    pub s: String,
    pub spans: Vec<Span>,
}

impl Text {
    pub fn new() -> Text {
        Text::default()
    }
    pub fn lit(&mut self, s: &str) -> &mut Text {
        self.s.push_str(s);
        self
    }
    pub fn span(&mut self, s: &str, category: &'static str) -> &mut Text {
        let start = self.s.len();
        self.s.push_str(s);
        self.spans.push(Span {
            start,
            end: self.s.len(),
            category,
        });
        self
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A first name in the case people type it.
pub fn first_name(r: &mut Rng) -> String {
    let f = r.pick(FIRST);
    match r.weighted(&[5, 3, 1]) {
        0 => f.to_string(),
        1 => f.to_lowercase(),
        _ => f.to_uppercase(),
    }
}

/// A full name in one of the shapes people type.
pub fn full_name(r: &mut Rng) -> String {
    let (f, l) = (r.pick(FIRST), r.pick(LAST));
    match r.weighted(&[5, 3, 2, 2, 1, 1]) {
        0 => format!("{f} {l}"),
        1 => format!("{} {}", f.to_lowercase(), l.to_lowercase()),
        2 => format!("{} {}", f.to_uppercase(), l.to_uppercase()),
        3 => format!("{f} {}.", &l[..1]),
        4 => format!("{l}, {f}"),
        _ => format!("{} {}. {l}", f, r.upper(1)),
    }
}

pub fn mrn_value(r: &mut Rng) -> String {
    match r.below(7) {
        0 => r.digits(8),
        1 => format!("{}{}", r.upper(1), r.digits(7)),
        2 => format!("{}-{}", r.upper(2), r.digits(6)),
        3 => format!("{}-{}", r.digits(4), r.digits(3)),
        4 => format!("00{}", r.digits(6)),
        5 => format!("{}{}{}", r.upper(3), r.digits(6), r.upper(1)),
        _ => r.digits(7),
    }
}

const MRN_LABELS: &[&str] = &[
    "MRN ",
    "MRN: ",
    "mrn#",
    "Med Rec No. ",
    "medical record # ",
    "chart # ",
    "pt id ",
    "patient #: ",
    "Patient ID: ",
    "MR# ",
    "record no ",
];

pub fn member_value(r: &mut Rng) -> String {
    match r.below(6) {
        0 => format!("{}{}", r.upper(3), r.digits(9)),
        1 => format!("W{}", r.digits(9)),
        2 => format!("{}-{}", r.upper(3), r.digits(8)),
        3 => format!("{}-0{}", r.digits(8), r.range(1, 4)),
        4 => format!("{}{}{}", r.digits(8), r.upper(2), ""),
        _ => format!("{}{}{}", r.upper(1), r.digits(8), r.upper(1)),
    }
}

const MEMBER_LABELS: &[&str] = &[
    "member id ",
    "Member#: ",
    "ins id: ",
    "insurance ID ",
    "policy no. ",
    "subscriber ID ",
    "Medicaid # ",
    "medicare id: ",
    "plan id ",
    "member number ",
];

/// Pushes a labelled identifier of some kind; returns the category.
pub fn labelled_id(r: &mut Rng, t: &mut Text) -> &'static str {
    match r.weighted(&[4, 3, 1, 1, 1, 1, 1]) {
        0 => {
            t.lit(r.pick(MRN_LABELS));
            let v = mrn_value(r);
            t.span(&v, "mrn");
            "mrn"
        }
        1 => {
            t.lit(r.pick(MEMBER_LABELS));
            let v = member_value(r);
            t.span(&v, "health_plan_id");
            "health_plan_id"
        }
        2 => {
            t.lit(["SSN ", "ssn: ", "social ", "SS# "][r.below(4)]);
            let v = format!(
                "{}-{}-{}",
                r.range(101, 665),
                r.range(10, 99),
                r.range(1000, 9999)
            );
            t.span(&v, "ssn");
            "ssn"
        }
        3 => {
            t.lit(["case # ", "claim #: ", "case no. "][r.below(3)]);
            let v = format!("{}-{}", r.range(2019, 2026), r.digits(6));
            t.span(&v, "other_id");
            "other_id"
        }
        4 => {
            t.lit(["ID: ", "id# ", "ID "][r.below(3)]);
            let v = format!("{}-{}", r.digits(5), r.upper(1));
            t.span(&v, "other_id");
            "other_id"
        }
        5 => {
            t.lit(["acct # ", "account no. ", "billing acct "][r.below(3)]);
            let v = r.digits(10);
            t.span(&v, "account_number");
            "account_number"
        }
        _ => {
            t.lit(["npi=", "NPI ", "npi: "][r.below(3)]);
            let v = format!("1{}", r.digits(9));
            t.span(&v, "npi");
            "npi"
        }
    }
}

const MONTHS: &[&str] = &[
    "Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec",
];

/// A visit date as a scheduler writes it (no year, or this year).
pub fn short_date(r: &mut Rng) -> String {
    let (m, d) = (r.range(1, 12), r.range(1, 28));
    match r.below(4) {
        0 => format!("{m}/{d}"),
        1 => format!("{} {d}", MONTHS[m as usize - 1]),
        2 => format!("{m:02}/{d:02}/2026"),
        _ => format!("2026-{m:02}-{d:02}"),
    }
}

/// A calendar date in one of many written formats (birth years 1930–2005).
pub fn date_value(r: &mut Rng, birth: bool) -> String {
    let y = if birth { r.range(1930, 2005) } else { 2026 };
    let (m, d) = (r.range(1, 12), r.range(1, 28));
    match r.below(7) {
        0 => format!("{m}/{d}/{y}"),
        1 => format!("{y}-{m:02}-{d:02}"),
        2 => format!("{m:02}/{d:02}/{:02}", y % 100),
        3 => format!("{} {d}, {y}", MONTHS[m as usize - 1]),
        4 => format!("{m:02}.{d:02}.{y}"),
        5 => format!("{d} {} {y}", MONTHS[m as usize - 1]),
        _ => format!("{m}-{d}-{y}"),
    }
}

/// A date of birth after a label.
pub fn dob(r: &mut Rng, t: &mut Text) {
    t.lit(
        [
            "DOB ",
            "dob: ",
            "date of birth ",
            "born ",
            "d.o.b. ",
            "birthday ",
        ][r.below(6)],
    );
    let v = date_value(r, true);
    t.span(&v, "dob");
}

/// An appointment, admission or procedure date in words around it (the year is optional).
pub fn person_date(r: &mut Rng, t: &mut Text) {
    t.lit(
        [
            "appt on ",
            "appointment ",
            "admitted ",
            "discharged on ",
            "surgery scheduled for ",
            "visit on ",
            "seen on ",
        ][r.below(7)],
    );
    let v = short_date(r);
    t.span(&v, "date");
}

pub fn us_number(r: &mut Rng) -> String {
    format!("+1{}555{:04}", r.pick(US_AREA), r.range(100, 199))
}

pub fn non_us_number(r: &mut Rng) -> String {
    if r.chance(0.5) {
        format!("+1{}555{:04}", r.pick(NANP_NON_US), r.range(100, 199))
    } else {
        let p = r.pick(INTL_PREFIX).replace(' ', "");
        let n = 13 - p.len().min(11);
        format!("{p}{}", r.digits(n))
    }
}

/// A phone number as written in text.
pub fn phone_text(r: &mut Rng) -> String {
    let a = r.pick(US_AREA);
    let l = r.range(100, 199);
    match r.below(4) {
        0 => format!("({a}) 555-{l:04}"),
        1 => format!("{a}.555.{l:04}"),
        2 => format!("{a}-555-{l:04}"),
        _ => format!("+1{a}555{l:04}"),
    }
}

pub fn email(r: &mut Rng) -> String {
    let (f, l) = (
        r.pick(FIRST).to_lowercase(),
        r.pick(LAST).to_lowercase().replace('\'', ""),
    );
    let dom = [
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "icloud.com",
        "comcast.net",
        "aol.com",
    ];
    match r.below(3) {
        0 => format!("{f}.{l}@{}", dom[r.below(dom.len())]),
        1 => format!(
            "{}{l}{}@{}",
            &f[..1],
            r.range(1, 99),
            dom[r.below(dom.len())]
        ),
        _ => format!("{f}_{l}{}@{}", r.range(60, 99), dom[r.below(dom.len())]),
    }
}

pub fn street_address(r: &mut Rng) -> String {
    let n = r.range(12, 9800);
    let dir = ["", "W ", "N ", "E ", "S "][r.below(5)];
    let mut s = format!("{n} {dir}{} {}", r.pick(STREETS), r.pick(STREET_SUFFIX));
    if r.chance(0.3) {
        s.push_str(&format!(" Apt {}{}", r.range(1, 30), r.upper(1)));
    }
    s
}

pub fn facility(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("St. {} {}", r.pick(SAINTS), r.pick(FACILITY_SUFFIX)),
        1 => format!("{} {}", r.pick(PLACES), r.pick(FACILITY_SUFFIX)),
        _ => format!("{} {}", r.pick(CITIES), r.pick(FACILITY_SUFFIX)),
    }
}

pub fn care_setting(r: &mut Rng) -> String {
    if r.chance(0.25) {
        return r.pick(SETTINGS_FIXED).to_string();
    }
    let s = format!("{} {}", r.pick(SPECIALTIES), r.pick(SETTING_WORDS));
    if r.chance(0.3) { cap(&s) } else { s }
}

pub fn medication(r: &mut Rng, with_dose: bool) -> String {
    let m = r.pick(MEDICATIONS).to_string();
    if with_dose && r.chance(0.5) {
        format!("{m} {}", r.pick(DOSES))
    } else {
        m
    }
}

pub const ICD: &[&str] = &[
    "I50.22", "J44.1", "F32.1", "N18.4", "K50.90", "M54.50", "E78.5", "F41.1", "G43.909",
    "C50.911", "Z79.4", "O24.410", "F11.20", "B20", "R07.9", "E11.65", "I48.91", "F10.20",
];

/// One health term of a random kind, pushed as a span; returns its category.
pub fn health_term(r: &mut Rng, t: &mut Text) -> &'static str {
    match r.weighted(&[4, 4, 3, 2, 1]) {
        0 => {
            let v = r.pick(CONDITIONS).to_string();
            t.span(&v, "condition");
            "condition"
        }
        1 => {
            let v = medication(r, true);
            t.span(&v, "medication");
            "medication"
        }
        2 => {
            let v = r.pick(PROCEDURES).to_string();
            t.span(&v, "procedure");
            "procedure"
        }
        3 => {
            let v = care_setting(r);
            t.span(&v, "care_setting");
            "care_setting"
        }
        _ => {
            t.lit(["dx ", "ICD-10 ", "code ", "dx code: "][r.below(4)]);
            let v = r.pick(ICD).to_string();
            t.span(&v, "medical_code");
            "medical_code"
        }
    }
}

/// One identifier of a random kind with whatever cue it needs; returns its category.
pub fn identifier(r: &mut Rng, t: &mut Text) -> &'static str {
    match r.weighted(&[5, 4, 3, 2, 2, 2, 2, 1, 1, 1]) {
        0 => {
            let v = full_name(r);
            t.span(&v, "name");
            "name"
        }
        1 => labelled_id(r, t),
        2 => {
            dob(r, t);
            "dob"
        }
        3 => {
            person_date(r, t);
            "date"
        }
        4 => {
            let v = email(r);
            t.span(&v, "email");
            "email"
        }
        5 => {
            let v = phone_text(r);
            t.span(&v, "phone");
            "phone"
        }
        6 => {
            let v = street_address(r);
            t.span(&v, "address");
            "address"
        }
        7 => {
            t.lit("in ");
            let v = r.pick(CITIES).to_string();
            t.span(&v, "geo");
            "geo"
        }
        8 => {
            t.lit("at ");
            let v = facility(r);
            t.span(&v, "geo");
            "geo"
        }
        _ => {
            let age = r.range(90, 103);
            let v = match r.below(3) {
                0 => format!("{age} year old"),
                1 => format!("age {age}"),
                _ => format!("{age} y/o"),
            };
            t.span(&v, "age");
            "age"
        }
    }
}

/// A strong identifier (PHI in a log on its own).
pub fn strong_identifier(r: &mut Rng, t: &mut Text) {
    match r.below(4) {
        0 => dob(r, t),
        1 => {
            t.lit(r.pick(MRN_LABELS));
            let v = mrn_value(r);
            t.span(&v, "mrn");
        }
        2 => {
            t.lit(r.pick(MEMBER_LABELS));
            let v = member_value(r);
            t.span(&v, "health_plan_id");
        }
        _ => {
            t.lit(["SSN ", "ssn: ", "SS# "][r.below(3)]);
            let v = format!(
                "{}-{}-{}",
                r.range(101, 665),
                r.range(10, 99),
                r.range(1000, 9999)
            );
            t.span(&v, "ssn");
        }
    }
}

/// A name after a cue the way people write it ("Hi maria", "for DAVID", "pt Luis").
pub fn cued_name(r: &mut Rng, t: &mut Text) {
    let cue = [
        "Hi ", "Hello ", "Dear ", "for ", "patient ", "pt ", "this is ", "Thanks ",
    ];
    t.lit(cue[r.below(cue.len())]);
    let v = if r.chance(0.6) {
        first_name(r)
    } else {
        full_name(r)
    };
    t.span(&v, "name");
}
