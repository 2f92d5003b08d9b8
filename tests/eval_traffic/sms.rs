//! SMS-length texts (20–160 characters): patient and clinic messages with labelled PHI spans,
//! and clean texts of the kinds real senders send (codes, marketing, shipping, support,
//! neutral reminders, population-wide campaigns). The clean generators also fill the bodies of
//! clean events.

use super::rng::Rng;
use super::text::*;
use super::vocab::*;

const BRANDS: &[&str] = &[
    "Lakeshore Health",
    "Acme Outfitters",
    "QuickShip",
    "Brightline Bank",
    "Northside Pharmacy",
    "CityRide",
];

/// A one-time code message.
pub fn otp(r: &mut Rng) -> String {
    let code = r.digits(6);
    let brand = r.pick(BRANDS);
    match r.below(5) {
        0 => format!("Your verification code is {code}. It expires in 10 minutes."),
        1 => format!("{brand}: {code} is your login code. Don't share it with anyone."),
        2 => format!("Use {code} to verify your phone number for {brand}."),
        3 => format!("<#> {code} is your {brand} security code. Reply STOP to opt out."),
        _ => format!("Your {brand} passcode: {code}"),
    }
}

/// A clean text: no identifier of a person, no health information about them.
pub fn clean(r: &mut Rng) -> String {
    let brand = r.pick(BRANDS);
    let tok = r.alnum(10);
    let m = r.range(1, 12);
    let d = r.range(1, 28);
    match r.below(30) {
        0..=3 => otp(r),
        4 => format!("Sale ends 12/31! Take 20% off sitewide with code WINTER{}. Reply STOP to opt out.", r.range(10, 40)),
        5 => format!("{brand}: your order has shipped and should arrive Thursday. Track it in the app."),
        6 => "Reminder: you have an appointment tomorrow. Please check your patient portal for details.".into(),
        7 => format!("You have a new message in your portal: https://portal.lakeshorehealth.example/m/{tok}"),
        8 => "Flu shots are available at all our locations this month. No appointment needed.".into(),
        9 => format!("It's time to schedule your annual wellness visit! Book online: https://lakeshorehealth.example/s/{tok}"),
        10 => "Thanks for contacting support. An agent will reply within 2 business hours.".into(),
        11 => format!("Our offices will be closed on {} {d} for the holiday. Call 911 in an emergency.", ["Nov", "Dec", "Jan", "July"][r.below(4)]),
        12 => "Reply YES to confirm, NO to cancel, or call us to reschedule.".into(),
        13 => format!("{brand}: your statement is ready. Log in to view and pay online."),
        14 => format!("Payment of ${}.{:02} received. Thank you!", r.range(5, 400), r.range(0, 99)),
        15 => "How was your recent visit? Reply with a number from 1 to 5.".into(),
        16 => "Office hours: Mon-Fri 8am-6pm, Sat 9am-1pm. Closed Sundays.".into(),
        17 => "Your prescription is ready for pickup. Reply STOP to unsubscribe.".into(),
        18 => format!("Heads up: snow expected Tuesday. Check the app to see if your visit is affected."),
        19 => format!("Happy New Year from all of us at {brand}!"),
        20 => "Open enrollment runs Nov 1 - Dec 15. Compare plans at https://lakeshorehealth.example/plans".into(),
        21 => format!("Join us for the community 5K on Saturday, {} {d}! Register in the app.", ["June", "May", "Sept"][r.below(3)]),
        22 => "We're running about 15 minutes behind today. Thanks for your patience.".into(),
        23 => format!("Your ride is arriving in {} minutes.", r.range(2, 9)),
        24 => "Got it, thanks! See you then.".into(),
        25 => format!("Store hours change on {m}/{d}: we open at 10am."),
        26 => "New: book and manage visits in our app. Download it today.".into(),
        27 => format!("Your callback is scheduled. Ticket {}.", r.alnum(8).to_uppercase()),
        28 => "Please complete your pre-visit questionnaire in the portal before you arrive.".into(),
        _ => "Can I come in earlier tomorrow? Running late this morning".into(),
    }
}

/// A labelled SMS with at least one gold span.
pub fn labelled(r: &mut Rng) -> Text {
    for _ in 0..20 {
        let t = labelled_once(r);
        if (20..=160).contains(&t.s.len()) && !t.spans.is_empty() {
            return t;
        }
    }
    let mut t = Text::new();
    t.lit("Refill for ");
    let n = full_name(r);
    t.span(&n, "name");
    t.lit(": ");
    let m = medication(r, false);
    t.span(&m, "medication");
    t
}

fn labelled_once(r: &mut Rng) -> Text {
    let mut t = Text::new();
    match r.below(16) {
        0 => {
            cued_name(r, &mut t);
            t.lit(", your ");
            t.span(&medication(r, true), "medication");
            t.lit(" refill is ready for pickup.");
        }
        1 => {
            t.lit("Reminder: ");
            t.span(r.pick(PROCEDURES), "procedure");
            t.lit(" on ");
            t.span(&short_date(r), "date");
            t.lit(" at ");
            t.span(&facility(r), "geo");
            t.lit(". Reply C to confirm.");
        }
        2 => {
            t.span(&full_name(r), "name");
            t.lit(" ");
            dob(r, &mut t);
            t.lit(" checking in for ");
            t.span(r.pick(PROCEDURES), "procedure");
        }
        3 => {
            t.lit("hi this is ");
            t.span(&first_name(r), "name");
            t.lit(&format!(", my {} has ", r.pick(FAMILY)));
            t.span(r.pick(CONDITIONS), "condition");
            t.lit(" and needs a referral");
        }
        4 => {
            t.lit("Your ");
            t.span(&care_setting(r), "care_setting");
            t.lit(" appointment is ");
            t.span(&short_date(r), "date");
            t.lit(" at 2:40pm. Questions? Call ");
            t.span(&phone_text(r), "phone");
        }
        5 => {
            labelled_id(r, &mut t);
            t.lit(" - pls send f/u for ");
            t.span(r.pick(CONDITIONS), "condition");
        }
        6 => {
            t.lit("pt ");
            t.span(&first_name(r), "name");
            t.lit(" ");
            dob(r, &mut t);
            t.lit(" c/o ");
            t.span(r.pick(CONDITIONS), "condition");
            t.lit(", started ");
            t.span(&medication(r, false), "medication");
        }
        7 => {
            t.lit("Can you send my ");
            t.span(&medication(r, false), "medication");
            t.lit(" to the pharmacy on ");
            t.span(&street_address(r), "address");
            t.lit("?");
        }
        8 => {
            t.lit("my ");
            t.span(&format!("{} year old", r.range(90, 102)), "age");
            t.lit(" grandmother in ");
            t.span(r.pick(CITIES), "geo");
            t.lit(" needs a ");
            t.span(r.pick(PROCEDURES), "procedure");
        }
        9 => {
            t.lit("Email the results to ");
            t.span(&email(r), "email");
            t.lit(" please, re: my ");
            t.span(r.pick(PROCEDURES), "procedure");
        }
        10 => {
            t.lit("dx ");
            t.span(r.pick(ICD), "medical_code");
            t.lit(" - ");
            t.span(&full_name(r), "name");
            t.lit(" needs prior auth for ");
            t.span(&medication(r, false), "medication");
        }
        11 => {
            t.lit(&format!(
                "{} was admitted to the ",
                cap_first(r.pick(FAMILY))
            ));
            t.span(&care_setting(r), "care_setting");
            t.lit(" at ");
            t.span(&facility(r), "geo");
            t.lit(" last night");
        }
        12 => {
            t.lit("Confirming ");
            t.span(r.pick(PROCEDURES), "procedure");
            t.lit(" for ");
            t.span(&full_name(r), "name");
            t.lit(", ");
            labelled_id(r, &mut t);
        }
        13 => {
            t.lit("Hi ");
            t.span(&first_name(r), "name");
            t.lit(", your results are in. Your ");
            t.span(r.pick(CONDITIONS), "condition");
            t.lit(" numbers look better. f/u in 3 months");
        }
        14 => {
            t.lit("I live at ");
            t.span(&street_address(r), "address");
            t.lit(", ");
            t.span(r.pick(CITIES), "geo");
            t.lit(" ");
            t.span(&r.digits(5), "zip");
            t.lit(" - new address for my ");
            t.span(&medication(r, false), "medication");
            t.lit(" shipments");
        }
        _ => {
            t.lit("Message for ");
            t.span(&full_name(r), "name");
            t.lit(": ");
            identifier(r, &mut t);
            t.lit(", ");
            health_term(r, &mut t);
        }
    }
    t
}

fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// What patients write to a clinic (inbound), with PHI spans.
pub fn patient_phi(r: &mut Rng) -> Text {
    let mut t = Text::new();
    match r.below(7) {
        0 => {
            t.lit("is it normal to feel dizzy after starting ");
            t.span(&medication(r, false), "medication");
            t.lit("?");
        }
        1 => {
            t.lit("I think my ");
            t.span(r.pick(CONDITIONS), "condition");
            t.lit(" is acting up again, can I get seen today");
        }
        2 => {
            t.lit(&format!("my {} had a ", r.pick(FAMILY)));
            t.span(r.pick(PROCEDURES), "procedure");
            t.lit(" last week and now has a fever");
        }
        3 => {
            t.lit("can i get a refill on my ");
            t.span(&medication(r, true), "medication");
            t.lit("? almost out");
        }
        4 => {
            t.lit("this is ");
            t.span(&first_name(r), "name");
            t.lit(", need to move my ");
            t.span(r.pick(PROCEDURES), "procedure");
            t.lit(" to next week");
        }
        5 => {
            t.lit("Do I need to fast before my ");
            t.span(r.pick(PROCEDURES), "procedure");
            t.lit("?");
        }
        _ => return labelled(r),
    }
    t
}
