//! Times and days as the reader's own. The server cannot know the reader's
//! time zone, locale or 12/24-hour habit, so it renders UTC; once the page
//! is hydrated the browser swaps in local clock times, local days and its
//! locale's words. Until then both sides compute the same thing, so
//! hydration finds what the server drew.
//!
//! Wire times are RFC 3339 UTC with milliseconds (`storage::db::to_rfc3339`),
//! parsed here by hand so that server, browser and tests agree exactly.

use leptos::prelude::*;

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the epoch of a wire time (`2026-11-24T09:05:07.123Z`).
pub fn epoch_ms(iso: &str) -> Option<i64> {
    let b = iso.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = iso.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let millis = if b.get(19) == Some(&b'.') {
        num(20, 3)?
    } else {
        0
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether the browser's local time applies: false on the server and
/// until hydration, then true.
pub fn local_time() -> ReadSignal<bool> {
    let (local, set_local) = signal(false);
    Effect::new(move |_| set_local.set(true));
    local
}

/// The reader's offset from UTC at `ms`, in minutes east (daylight saving
/// included); zero where it is not known.
fn offset_minutes(ms: i64, local: bool) -> i64 {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        return -(date.get_timezone_offset() as i64);
    }
    let _ = (ms, local);
    0
}

/// The day `ms` falls on, counted from the epoch, in the reader's zone.
pub fn day_number(ms: i64, local: bool) -> i64 {
    (ms + offset_minutes(ms, local) * 60_000).div_euclid(DAY_MS)
}

/// Now, on the page's clock.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as i64;
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    return chrono::Utc::now().timestamp_millis();
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    0
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How a day reads above its messages: "Today", "Yesterday", a weekday in
/// the past week, else the date (with the year when it is not this year's).
/// `today` is the reader's day number now.
///
/// Before hydration it is always the full date: the server's "now" and the
/// browser's may disagree (a clock that is off, a test that holds it), and
/// hydration keeps what the server drew until a value changes, so both must
/// draw the same thing without asking the time.
pub fn day_label(ms: i64, today: i64, local: bool) -> String {
    let day = day_number(ms, local);
    if !local {
        return english_date(day, true);
    }
    match today - day {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        2..=6 => locale_date(ms, local, DateStyle::Weekday)
            .unwrap_or_else(|| WEEKDAYS[(day + 4).rem_euclid(7) as usize].to_owned()),
        _ => {
            let this_year = civil_from_days(today).0 == civil_from_days(day).0;
            let style = if this_year {
                DateStyle::Date
            } else {
                DateStyle::DateAndYear
            };
            locale_date(ms, local, style).unwrap_or_else(|| english_date(day, !this_year))
        }
    }
}

/// "Sunday, 29 November" (and the year): a date where no browser says it
/// in the reader's words.
fn english_date(day: i64, with_year: bool) -> String {
    let (year, month, date) = civil_from_days(day);
    let weekday = WEEKDAYS[(day + 4).rem_euclid(7) as usize];
    let month = MONTHS[(month - 1) as usize];
    if with_year {
        format!("{weekday}, {date} {month} {year}")
    } else {
        format!("{weekday}, {date} {month}")
    }
}

/// `Intl.DateTimeFormat` options from `(name, value)` pairs.
#[cfg(feature = "hydrate")]
fn js_options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let options = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&options, &(*key).into(), &(*value).into());
    }
    options
}

#[derive(Clone, Copy)]
enum DateStyle {
    Weekday,
    Date,
    DateAndYear,
    /// A day near enough to need no weekday: "Nov 23".
    Short,
}

/// A date in the browser's locale, or `None` where there is no browser.
fn locale_date(ms: i64, local: bool, style: DateStyle) -> Option<String> {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let date_parts = [("weekday", "long"), ("month", "long"), ("day", "numeric")];
        let options = match style {
            DateStyle::Weekday => js_options(&[("weekday", "long")]),
            DateStyle::Short => js_options(&[("month", "short"), ("day", "numeric")]),
            DateStyle::Date => js_options(&date_parts),
            DateStyle::DateAndYear => {
                js_options(&[date_parts.as_slice(), &[("year", "numeric")]].concat())
            }
        };
        return Some(date.to_locale_date_string("default", &options).into());
    }
    let _ = (ms, local, style);
    None
}

/// `9:05 PM` or `21:05`, as the reader's locale writes a clock; `21:05 UTC`
/// before hydration.
pub fn clock(iso: &str, local: bool) -> String {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
        let options = js_options(&[("hour", "numeric"), ("minute", "2-digit")]);
        return date
            .to_locale_time_string_with_options("default", &options)
            .into();
    }
    let _ = local;
    format!("{} UTC", iso.get(11..16).unwrap_or(iso))
}

/// The full date and time, for hover and for screen readers.
pub fn full(iso: &str, local: bool) -> String {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
        let options = js_options(&[("dateStyle", "full"), ("timeStyle", "short")]);
        return date.to_locale_string("default", &options).into();
    }
    let _ = local;
    match epoch_ms(iso) {
        Some(ms) => format!(
            "{} at {} UTC",
            english_date(ms.div_euclid(DAY_MS), true),
            iso.get(11..16).unwrap_or_default()
        ),
        None => iso.to_owned(),
    }
}

/// A clock time for today, else the short date ("Nov 23"): when a room was
/// last active, where a clock alone would mislead. Before hydration, the
/// date (see [`day_label`] for why it cannot ask the time then).
fn brief(iso: &str, local: bool) -> String {
    let Some(ms) = epoch_ms(iso) else {
        return iso.to_owned();
    };
    if local && day_number(ms, local) == day_number(now_ms(), local) {
        return clock(iso, local);
    }
    locale_date(ms, local, DateStyle::Short).unwrap_or_else(|| {
        let (_, month, date) = civil_from_days(ms.div_euclid(DAY_MS));
        format!("{} {date}", &MONTHS[(month - 1) as usize][..3])
    })
}

/// How a [`Timestamp`] reads.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Shown {
    /// The clock time: a message's, whose day the timeline gives.
    #[default]
    Clock,
    /// The clock today, else the date.
    Brief,
    /// The full date and time.
    Full,
}

/// A `<time>` in the reader's locale and zone. A screen reader hears the
/// full date and time; a pointer shows it on hover.
#[component]
pub fn Timestamp(#[prop(into)] iso: String, #[prop(optional)] shown: Shown) -> impl IntoView {
    let local = local_time();
    let text = {
        let iso = iso.clone();
        move || match shown {
            Shown::Clock => clock(&iso, local.get()),
            Shown::Brief => brief(&iso, local.get()),
            Shown::Full => full(&iso, local.get()),
        }
    };
    let whole = {
        let iso = iso.clone();
        move || full(&iso, local.get())
    };
    let title = whole.clone();
    view! {
        <time datetime=iso class="text-xs text-slate-600" title=title>
            <span aria-hidden="true">{text}</span>
            <span class="sr-only">{whole}</span>
        </time>
    }
}

/// "(edited)", with when on hover, in the reader's time zone once hydrated.
#[component]
pub fn EditedMark(#[prop(into)] iso: String) -> impl IntoView {
    let local = local_time();
    let title = move || format!("Edited {}", full(&iso, local.get()));
    view! { <span class="text-xs text-slate-600" title=title>"(edited)"</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_times_parse_to_the_millisecond() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(epoch_ms("1970-01-02T00:00:01.002Z"), Some(DAY_MS + 1002));
        // chrono agrees on a date past a leap day.
        assert_eq!(
            epoch_ms("2024-03-01T09:05:07.123Z"),
            Some(1_709_283_907_123)
        );
        assert_eq!(epoch_ms("2026-11-24T09:05:07Z"), Some(1_795_511_107_000));
        assert_eq!(epoch_ms("yesterday"), None);
        assert_eq!(epoch_ms("2026-13-01T00:00:00.000Z"), None);
    }

    #[test]
    fn days_convert_both_ways() {
        for day in [-1000, 0, 19_000, 20_000, 20_423, 400_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn days_are_named_from_today_back() {
        // Off the browser, "local" is UTC with English names.
        let today = day_number(epoch_ms("2026-11-30T15:00:00.000Z").unwrap(), true);
        let label = |iso: &str| day_label(epoch_ms(iso).unwrap(), today, true);
        assert_eq!(label("2026-11-30T00:00:00.000Z"), "Today");
        assert_eq!(label("2026-11-29T23:59:59.999Z"), "Yesterday");
        assert_eq!(label("2026-11-27T12:00:00.000Z"), "Friday");
        assert_eq!(label("2026-11-24T12:00:00.000Z"), "Tuesday");
        assert_eq!(label("2026-11-23T12:00:00.000Z"), "Monday, 23 November");
        assert_eq!(
            label("2025-12-31T12:00:00.000Z"),
            "Wednesday, 31 December 2025"
        );
    }

    #[test]
    fn before_hydration_days_are_dates_whatever_the_time() {
        let ms = epoch_ms("2026-11-29T16:45:00.000Z").unwrap();
        for today in [0, day_number(ms, false), day_number(ms, false) + 1] {
            assert_eq!(day_label(ms, today, false), "Sunday, 29 November 2026");
        }
        assert_eq!(brief("2026-11-29T16:45:00.000Z", false), "Nov 29");
    }

    #[test]
    fn before_hydration_times_say_they_are_utc() {
        assert_eq!(clock("2026-11-24T09:05:07.123Z", false), "09:05 UTC");
        assert_eq!(
            full("2026-11-24T09:05:07.123Z", false),
            "Tuesday, 24 November 2026 at 09:05 UTC"
        );
    }
}
