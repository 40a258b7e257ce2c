//! Who is away on which day, and why: the one model of absence every job asks.
//!
//! Time off comes from several places: the config's `time_off` (and the time off file it
//! names), the time-off feeds, a manual pipeline, and a GitLab status saying someone is away.
//! Each of them is a [`Part`]. The parts of one person are merged into continuous
//! [`Absence`]s: parts that overlap, or that are adjacent (the next starts the day after the
//! last ends, or only days the person does not work lie between), become one absence that
//! keeps every part and its source. Nothing is dropped: where two parts overlap with
//! different dates, the absence covers both and [`Absence::disagreements`] says so, for the
//! run's warnings.
//!
//! An absence's key (the key of its coverage issue) stays the same as parts are added: the
//! key of a part that already has an open coverage issue, else that of the earliest-starting
//! recorded part.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::{Calendars, WorkingCalendar};
use crate::config::Config;
use crate::ics::{FeedTimeOff, time_off_in_window};
use crate::limits::{DateWindow, MAX_DAYS};
use crate::neutralise;
use crate::time_off::{AbsenceRun, TimeOff};
use crate::tracker::{IssueTracker, UserStatus};

/// Where a part of an absence is recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The config's `time_off` (or the time off file it names).
    Config,
    /// The time-off feed of this name.
    Feed(String),
    /// A manual pipeline: never seen again, so never taken as cancelled.
    Manual,
    /// A GitLab status saying the person is away: not recorded time off, so it never gets a
    /// coverage issue of its own, but it keeps the person off backups and buddies.
    Status,
}

impl Source {
    /// How the source is written in an issue's record (encoded there, as every record value).
    pub fn tag(&self) -> String {
        match self {
            Source::Config => "config".to_owned(),
            Source::Feed(name) => format!("feed:{name}"),
            Source::Manual => "manual".to_owned(),
            Source::Status => "status".to_owned(),
        }
    }

    /// The source for people, in notes and warnings (Markdown-safe).
    pub fn describe(&self) -> String {
        match self {
            Source::Config => "the teamcadence config".to_owned(),
            Source::Feed(name) => format!("the calendar feed \"{}\"", neutralise::markdown(name)),
            Source::Manual => "a manual pipeline".to_owned(),
            Source::Status => "their GitLab status".to_owned(),
        }
    }

    /// Whether the source records time off (everything but a GitLab status).
    pub fn is_recorded(&self) -> bool {
        *self != Source::Status
    }
}

/// One entry of time off as one source records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The time off.
    pub time_off: TimeOff,
    /// Where it is recorded.
    pub source: Source,
}

/// One person's continuous absence: every part that overlaps or touches another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    person: String,
    first: NaiveDate,
    last: NaiveDate,
    parts: Vec<Part>,
    key: String,
}

impl Absence {
    /// The username of the person who is away.
    pub fn person(&self) -> &str {
        &self.person
    }

    /// The first day away.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// The last day away (included).
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// Every part, earliest first.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The key of the absence's coverage issue (see the [module documentation](self)).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The keys of every recorded part, each once: the issues of parts merged into this
    /// absence.
    pub fn part_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for part in self.parts.iter().filter(|p| p.source.is_recorded()) {
            let key = part.time_off.key();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// The sources, each once, in order (config, feeds, manual, status).
    pub fn sources(&self) -> Vec<&Source> {
        let mut sources: Vec<&Source> = self.parts.iter().map(|p| &p.source).collect();
        sources.sort();
        sources.dedup();
        sources
    }

    /// Whether a recorded source holds any of it (not only a GitLab status).
    pub fn is_recorded(&self) -> bool {
        self.parts.iter().any(|p| p.source.is_recorded())
    }

    /// Whether part of it was given by a manual pipeline.
    pub fn is_manual(&self) -> bool {
        self.parts.iter().any(|p| p.source == Source::Manual)
    }

    /// The notes of its parts, each once, joined with " / ".
    pub fn note(&self) -> Option<String> {
        let mut notes: Vec<&str> = Vec::new();
        for note in self.parts.iter().filter_map(|p| p.time_off.note()) {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        (!notes.is_empty()).then(|| notes.join(" / "))
    }

    /// The earliest day any part was requested, if known.
    pub fn requested(&self) -> Option<NaiveDate> {
        self.parts
            .iter()
            .filter_map(|p| p.time_off.requested())
            .min()
    }

    /// The whole absence as one time off, for the rules written for time off (the run, the
    /// planning lock).
    pub fn span(&self) -> TimeOff {
        let span = TimeOff::new(self.person.clone(), self.first, self.last);
        // Parts never end before they start and name a person, so neither does their union.
        span.map(|t| t.with_note(self.note()).with_requested(self.requested()))
            .unwrap_or_else(|_| self.parts[0].time_off.clone())
    }

    /// Whether the person is away on `date` by this absence.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// Whether the absence shares a day with from..=until.
    pub fn overlaps(&self, from: NaiveDate, until: NaiveDate) -> bool {
        from <= until && self.first <= until && from <= self.last
    }

    /// Working days (per the person's calendar) of the absence inside from..=until.
    pub fn working_days_within(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        calendar: &WorkingCalendar,
    ) -> u32 {
        calendar.working_days(from.max(self.first), until.min(self.last))
    }

    /// The consecutive absence as the coverage rule counts it ([`TimeOff::run`]).
    pub fn run(&self, calendar: &WorkingCalendar) -> AbsenceRun {
        self.span().run(calendar)
    }

    /// What the absence counts, in the words every message about it uses.
    pub fn tally(&self, calendar: &WorkingCalendar) -> Tally {
        let run = self.run(calendar);
        let working_days = calendar.working_days(self.first, self.last);
        let holidays = calendar
            .holidays()
            .iter()
            .filter(|(date, _)| run.first <= *date && *date <= run.last)
            .filter(|(date, _)| !calendar.is_weekend(*date))
            .map(|(date, name)| (date, name.to_owned()))
            .collect();
        Tally {
            working_days,
            holidays,
            run,
        }
    }

    /// One sentence for each pair of parts that overlap with different dates: two sources
    /// (or two entries of one) disagree about this absence.
    pub fn disagreements(&self) -> Vec<String> {
        let mut found = Vec::new();
        let recorded: Vec<&Part> = self
            .parts
            .iter()
            .filter(|p| p.source.is_recorded())
            .collect();
        for (i, a) in recorded.iter().enumerate() {
            for b in &recorded[i + 1..] {
                let (ta, tb) = (&a.time_off, &b.time_off);
                let same = (ta.first(), ta.last()) == (tb.first(), tb.last());
                if same || !ta.overlaps(tb.first(), tb.last()) {
                    continue;
                }
                found.push(format!(
                    "the time off of {} disagrees between {} ({}) and {} ({}); teamcadence \
                     counts every day of both once, as one absence from {} until {} ({}); \
                     correct the source that is wrong",
                    self.person,
                    describe_part(a),
                    dates(ta.first(), ta.last()),
                    describe_part(b),
                    dates(tb.first(), tb.last()),
                    self.first,
                    self.last,
                    self.key
                ));
            }
        }
        found
    }
}

/// An entry and where it comes from, for people.
fn describe_part(part: &Part) -> String {
    let what = match part.time_off.note() {
        Some(note) => format!("\"{}\"", neutralise::plain(note)),
        None => "an entry".to_owned(),
    };
    format!("{what} in {}", part.source.describe())
}

/// `first..last`, or one date.
fn dates(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    }
}

/// What one absence counts: the numbers every message about it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Working days inside the absence (weekends and holidays excluded).
    pub working_days: u32,
    /// The holidays on weekdays the run counts, inside or next to the absence, with names.
    pub holidays: Vec<(NaiveDate, String)>,
    /// The consecutive run the coverage rule judges.
    pub run: AbsenceRun,
}

impl Tally {
    /// "5 days away in a row, 4 working days off and the holiday Good Friday (2027-03-26)",
    /// or "3 working days off" when no holiday is counted.
    pub fn sentence(&self) -> String {
        let working = plural(self.working_days, "working day");
        if self.holidays.is_empty() {
            return format!("{working} off");
        }
        let names: Vec<String> = self
            .holidays
            .iter()
            .map(|(date, name)| format!("{} ({date})", neutralise::plain(name)))
            .collect();
        let names = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, init)) => format!("{} and {last}", init.join(", ")),
            None => String::new(),
        };
        format!(
            "{} away in a row, {working} off and the holiday{} {names}",
            plural(self.run.days, "day"),
            if self.holidays.len() == 1 { "" } else { "s" },
        )
    }
}

/// "1 day", "3 days".
fn plural(count: u32, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

/// Why a person is not at work on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Away<'a> {
    /// A weekend day of theirs.
    Weekend,
    /// A public holiday of their calendar, with its name.
    Holiday(&'a str),
    /// Time off (or a GitLab status saying they are away).
    TimeOff(&'a Absence),
}

impl Away<'_> {
    /// Why, in a few words.
    pub fn reason(&self) -> String {
        match self {
            Away::Weekend => "not a working day for them".to_owned(),
            Away::Holiday(name) => (*name).to_owned(),
            Away::TimeOff(absence) => match absence.note() {
                Some(note) => note,
                None if absence.is_recorded() => "time off".to_owned(),
                None => "their GitLab status says they are away".to_owned(),
            },
        }
    }
}

/// Every person's absences, merged from every source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Absences {
    people: BTreeMap<String, Vec<Absence>>,
}

impl Absences {
    /// Merges `parts` per person (see the [module documentation](self)). `has_issue` says
    /// whether a key already has an open coverage issue, so that an absence keeps it.
    pub fn build(
        calendars: &Calendars,
        parts: Vec<Part>,
        has_issue: impl Fn(&str) -> bool,
    ) -> Self {
        let mut by_person: BTreeMap<String, Vec<Part>> = BTreeMap::new();
        for part in parts {
            by_person
                .entry(part.time_off.person().to_owned())
                .or_default()
                .push(part);
        }
        let mut people = BTreeMap::new();
        for (person, mut parts) in by_person {
            let calendar = calendars.for_person(&person);
            parts.sort_by(|a, b| {
                (a.time_off.first(), a.time_off.last(), &a.source).cmp(&(
                    b.time_off.first(),
                    b.time_off.last(),
                    &b.source,
                ))
            });
            // A GitLab status runs from today until it clears, so it moves every day: merged
            // into recorded time off it would move that absence's dates (and its coverage
            // issue) daily. Statuses are absences of their own, merged among themselves.
            let (recorded, statuses): (Vec<Part>, Vec<Part>) =
                parts.into_iter().partition(|p| p.source.is_recorded());
            let mut absences = merge(calendar, &person, recorded);
            absences.extend(merge(calendar, &person, statuses));
            absences.sort_by_key(|a| (a.first, a.last));
            for absence in &mut absences {
                absence.key = choose_key(absence, &has_issue);
            }
            people.insert(person, absences);
        }
        Self { people }
    }

    /// The absences of `person`, earliest first.
    pub fn of(&self, person: &str) -> &[Absence] {
        self.people.get(person).map_or(&[], Vec::as_slice)
    }

    /// Every absence, by person, then earliest first.
    pub fn iter(&self) -> impl Iterator<Item = &Absence> {
        self.people.values().flatten()
    }

    /// The absence of `person` on `date`, if any: recorded time off before a GitLab status.
    pub fn on(&self, person: &str, date: NaiveDate) -> Option<&Absence> {
        let mut found = self.of(person).iter().filter(|a| a.contains(date));
        let first = found.next()?;
        Some(if first.is_recorded() {
            first
        } else {
            found.find(|a| a.is_recorded()).unwrap_or(first)
        })
    }

    /// Whether and why `person` is not at work on `date`: time off first (it is what a
    /// person would name), then a holiday, then the weekend.
    pub fn away<'a>(
        &'a self,
        calendars: &'a Calendars,
        person: &str,
        date: NaiveDate,
    ) -> Option<Away<'a>> {
        if let Some(absence) = self.on(person, date) {
            return Some(Away::TimeOff(absence));
        }
        let calendar = calendars.for_person(person);
        if let Some(name) = calendar.holiday(date) {
            return Some(Away::Holiday(name));
        }
        calendar.is_weekend(date).then_some(Away::Weekend)
    }

    /// The working days of `person` inside from..=until on which they are away, each day
    /// counted once however many sources record it.
    pub fn working_days_off(
        &self,
        calendar: &WorkingCalendar,
        person: &str,
        from: NaiveDate,
        until: NaiveDate,
    ) -> u32 {
        // Recorded time off and a status may share days: each day is counted once.
        let away: Vec<&Absence> = self
            .of(person)
            .iter()
            .filter(|a| a.overlaps(from, until))
            .collect();
        let count = from
            .iter_days()
            .take_while(|day| *day <= until)
            .filter(|day| calendar.is_working_day(*day) && away.iter().any(|a| a.contains(*day)))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The absence whose parts include the key `key`, if any.
    pub fn with_part_key(&self, key: &str) -> Option<&Absence> {
        self.iter().find(|a| a.part_keys().iter().any(|k| k == key))
    }
}

/// `parts` of `person`, sorted by their first day, merged where they overlap or touch.
fn merge(calendar: &WorkingCalendar, person: &str, parts: Vec<Part>) -> Vec<Absence> {
    let mut absences: Vec<Absence> = Vec::new();
    for part in parts {
        let (first, last) = (part.time_off.first(), part.time_off.last());
        match absences.last_mut() {
            Some(current) if joins(calendar, current.last, first) => {
                current.last = current.last.max(last);
                current.parts.push(part);
            }
            _ => absences.push(Absence {
                person: person.to_owned(),
                first,
                last,
                parts: vec![part],
                key: String::new(),
            }),
        }
    }
    absences
}

/// Whether a part starting on `next` joins an absence ending on `last`: it overlaps, starts
/// the day after, or only days the person does not work lie between.
fn joins(calendar: &WorkingCalendar, last: NaiveDate, next: NaiveDate) -> bool {
    if next <= last {
        return true;
    }
    // Absences are merged in date order, and the gap holds no working day only when it is
    // short: a week without working days is already a long run of holidays.
    last.iter_days()
        .skip(1)
        .take_while(|day| *day < next)
        .take(31)
        .all(|day| !calendar.is_working_day(day))
        && (next - last).num_days() <= 32
}

/// The key of an absence: that of a recorded part with an open coverage issue, else that of
/// the earliest-starting recorded part (config before feeds before manual on the same day).
fn choose_key(absence: &Absence, has_issue: &impl Fn(&str) -> bool) -> String {
    let recorded: Vec<&Part> = absence
        .parts
        .iter()
        .filter(|p| p.source.is_recorded())
        .collect();
    let earliest = |parts: &mut dyn Iterator<Item = &&Part>| {
        parts
            .min_by(|a, b| {
                (a.time_off.first(), &a.source, a.time_off.key()).cmp(&(
                    b.time_off.first(),
                    &b.source,
                    b.time_off.key(),
                ))
            })
            .map(|p| p.time_off.key())
    };
    earliest(&mut recorded.iter().filter(|p| has_issue(&p.time_off.key())))
        .or_else(|| earliest(&mut recorded.iter()))
        .unwrap_or_else(|| absence.parts[0].time_off.key())
}

/// What is read about absences beyond the config: the feeds and who GitLab says is away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Each configured feed by name, in config order: its time off, or why it could not be
    /// read.
    pub feeds: Vec<(String, Result<FeedTimeOff, String>)>,
    /// People whose GitLab status says they are away, from today until it clears.
    pub away_by_status: Vec<TimeOff>,
    /// What could not be read, one sentence each.
    pub warnings: Vec<String>,
}

/// Every part the config and `facts` hold, with `manual`: the config's entries, each loaded
/// feed's entries, the manual one and the GitLab statuses. A feed entry whose key an earlier
/// entry already has (an event `UID` that is a username, or one `UID` in two feeds) is left
/// out with a warning, since one key stands for one issue; the manual entry is always kept.
pub fn parts(
    config_time_off: &[TimeOff],
    feeds: &[(String, Result<FeedTimeOff, String>)],
    manual: Option<&TimeOff>,
    away_by_status: &[TimeOff],
) -> (Vec<Part>, Vec<String>) {
    let mut all: Vec<Part> = config_time_off
        .iter()
        .map(|t| Part {
            time_off: t.clone(),
            source: Source::Config,
        })
        .collect();
    let mut warnings = Vec::new();
    // Feeds may hold thousands of entries: keys are looked up, not searched for.
    let mut taken: BTreeMap<String, (TimeOff, Source)> = all
        .iter()
        .map(|p| (p.time_off.key(), (p.time_off.clone(), p.source.clone())))
        .collect();
    for (name, feed) in feeds {
        let source = Source::Feed(name.clone());
        for entry in feed.iter().flat_map(|f| &f.entries) {
            let key = entry.key();
            if let Some((other, taken_by)) = taken.get(&key) {
                // The same person's time off under one key on shared days is the same time
                // off recorded twice: merged, not dropped. Anything else would make one key
                // stand for two issues.
                let same =
                    other.person() == entry.person() && other.overlaps(entry.first(), entry.last());
                if !same {
                    warnings.push(format!(
                        "time-off feed \"{}\": the time off of {} from {} has the key {} of \
                         time off in {}; it is left out (give the event another UID)",
                        neutralise::plain(name),
                        entry.person(),
                        entry.first(),
                        neutralise::plain(&key),
                        taken_by.describe()
                    ));
                    continue;
                }
            }
            taken.insert(key, (entry.clone(), source.clone()));
            all.push(Part {
                time_off: entry.clone(),
                source: source.clone(),
            });
        }
    }
    all.extend(manual.map(|t| Part {
        time_off: t.clone(),
        source: Source::Manual,
    }));
    all.extend(away_by_status.iter().map(|t| Part {
        time_off: t.clone(),
        source: Source::Status,
    }));
    (all, warnings)
}

/// The time off in each of the config's feeds, read from `feed_texts` (the texts of
/// `time_off_feeds` in order, or why each could not be loaded), each person's days in their
/// own zone; or why a feed could not be read.
pub fn read_feeds(
    config: &Config,
    feed_texts: Vec<Result<String, String>>,
    today: NaiveDate,
) -> Vec<(String, Result<FeedTimeOff, String>)> {
    // A year back covers issues still open for time off that has ended; ahead, any notice
    // (at most a year) before time off that may itself last a year.
    let window = DateWindow::around(today, MAX_DAYS, 2 * MAX_DAYS);
    let zone_of = |username: &str| config.calendars.for_person(username).timezone();
    config
        .time_off_feeds
        .iter()
        .zip(feed_texts)
        .map(|(feed, text)| {
            let read = text.and_then(|text| {
                time_off_in_window(&text, &feed.mapping, window, zone_of).map_err(|e| e.to_string())
            });
            (feed.name.clone(), read)
        })
        .collect()
}

/// The GitLab status of each of `usernames`: time off from today until it clears for those
/// it says are away ([`away_until`]), and a warning for each status that could not be read.
pub async fn read_statuses<T: IssueTracker>(
    tracker: &T,
    config: &Config,
    usernames: &[&str],
    today: NaiveDate,
) -> (Vec<TimeOff>, Vec<String>) {
    let asked: Vec<String> = usernames.iter().map(|u| (*u).to_owned()).collect();
    let statuses = tracker.user_statuses(&asked).await;
    let mut away = Vec::new();
    let mut warnings = Vec::new();
    for (username, status) in usernames.iter().zip(statuses) {
        match status {
            Ok(Some(status)) => {
                let zone = config.calendars.for_person(username).timezone();
                if let Some(until) = away_until(&status, today, zone) {
                    away.extend(
                        TimeOff::new(*username, today, until)
                            .ok()
                            .map(|t| t.with_note(status.message.clone())),
                    );
                }
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!(
                "could not read the GitLab status of {username} ({e}); they may be counted as \
                 at work although their status says they are away"
            )),
        }
    }
    (away, warnings)
}

/// Until when a GitLab status says its user is away: when they set themselves busy or wrote
/// "OOO" (or "out of office") in the message; until the date it clears in `zone` (the
/// person's), or today when it does not clear by itself.
pub fn away_until(status: &UserStatus, today: NaiveDate, zone: chrono_tz::Tz) -> Option<NaiveDate> {
    let message = status.message.as_deref().unwrap_or_default().to_lowercase();
    let says_ooo = message
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word == "ooo")
        || message.contains("out of office");
    if !status.busy && !says_ooo {
        return None;
    }
    let clears = status
        .clear_status_at
        .map(|at| at.with_timezone(&zone).date_naive());
    Some(clears.map_or(today, |date| date.max(today)))
}

/// Every person's absences from the config, the feeds that loaded, `manual` and the GitLab
/// statuses, merged; `has_issue` says which keys have an open coverage issue. With the
/// warnings about feed entries left out for their key.
pub fn of_config(
    config: &Config,
    feeds: &[(String, Result<FeedTimeOff, String>)],
    manual: Option<&TimeOff>,
    away_by_status: &[TimeOff],
    has_issue: impl Fn(&str) -> bool,
) -> (Absences, Vec<String>) {
    let (parts, warnings) = parts(&config.time_off, feeds, manual, away_by_status);
    (
        Absences::build(&config.calendars, parts, has_issue),
        warnings,
    )
}

impl Facts {
    /// The absences these facts and the config hold (no coverage issues known).
    pub fn absences(&self, config: &Config) -> (Absences, Vec<String>) {
        of_config(config, &self.feeds, None, &self.away_by_status, |_| false)
    }

    /// Reads the feeds and, with a tracker, the GitLab status of `usernames`.
    pub async fn gather<T: IssueTracker>(
        tracker: Option<&T>,
        config: &Config,
        today: NaiveDate,
        feed_texts: Vec<Result<String, String>>,
        usernames: &[&str],
    ) -> Self {
        let feeds = read_feeds(config, feed_texts, today);
        let (away_by_status, warnings) = match tracker {
            Some(tracker) => read_statuses(tracker, config, usernames, today).await,
            None => (Vec::new(), Vec::new()),
        };
        Self {
            feeds,
            away_by_status,
            warnings,
        }
    }

    /// The run's warnings about reading these facts: feeds that could not be read, events
    /// whose person is not mapped, statuses that could not be read.
    pub fn read_warnings(&self) -> Vec<String> {
        let mut warnings = self.warnings.clone();
        for (name, feed) in &self.feeds {
            match feed {
                Err(e) => warnings.push(format!(
                    "time-off feed \"{name}\" was not read ({e}); its time off is not counted \
                     this run"
                )),
                Ok(feed) if !feed.unmapped.is_empty() => warnings.push(format!(
                    "time-off feed \"{name}\": nobody in its `people` for {}; add them there if \
                     they are team members",
                    feed.unmapped.join(", ")
                )),
                Ok(_) => {}
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DEFAULT_WEEKEND, Holidays};
    use chrono_tz::Tz;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn part(first: NaiveDate, last: NaiveDate, source: Source, id: Option<&str>) -> Part {
        Part {
            time_off: TimeOff::new("alex", first, last)
                .unwrap()
                .with_id(id.map(str::to_owned)),
            source,
        }
    }

    /// Good Friday 2027-03-26 is a holiday.
    fn calendars() -> Calendars {
        let mut holidays = Holidays::new();
        holidays.insert(d(2027, 3, 26), "Good Friday");
        Calendars::new(WorkingCalendar::new(Tz::UTC, &DEFAULT_WEEKEND, holidays))
    }

    fn spans(absences: &Absences) -> Vec<(NaiveDate, NaiveDate, String, usize)> {
        absences
            .iter()
            .map(|a| (a.first(), a.last(), a.key().to_owned(), a.parts().len()))
            .collect()
    }

    #[test]
    fn overlapping_parts_become_one_absence_that_keeps_every_part() {
        // A Friday-off occurrence (Fri 03-05) inside a two-week vacation (Mon 03-01 ..
        // Fri 03-12): one absence of 10 working days, both parts kept.
        let parts = vec![
            part(
                d(2027, 3, 5),
                d(2027, 3, 5),
                Source::Feed("cal".into()),
                Some("fri/2027-03-05"),
            ),
            part(
                d(2027, 3, 1),
                d(2027, 3, 12),
                Source::Feed("hr".into()),
                Some("hr-1"),
            ),
        ];
        let absences = Absences::build(&calendars(), parts, |_| false);
        assert_eq!(
            spans(&absences),
            [(d(2027, 3, 1), d(2027, 3, 12), "pto/hr-1".to_owned(), 2)]
        );
        let absence = &absences.of("alex")[0];
        let calendar = calendars();
        assert_eq!(
            absence.working_days_within(d(2027, 3, 1), d(2027, 3, 31), calendar.default_calendar()),
            10
        );
        assert_eq!(absence.disagreements().len(), 1);
        assert!(
            absence.disagreements()[0].contains("2027-03-05"),
            "{:?}",
            absence.disagreements()
        );
    }

    #[test]
    fn adjacent_parts_over_a_weekend_or_holiday_join_but_a_working_day_between_splits() {
        let calendar = calendars();
        // Mon 03-01..Wed 03-03 then Thu 03-04..Fri 03-05: 5 working days, one absence.
        // Fri 03-05 and Mon 03-08: only the weekend between, one absence.
        // Thu 03-25 and Mon 03-29: Good Friday and the weekend between, one absence.
        // Mon 03-15 and Wed 03-17: Tue 03-16 is a working day, two absences.
        let parts = vec![
            part(d(2027, 3, 1), d(2027, 3, 3), Source::Config, None),
            part(d(2027, 3, 4), d(2027, 3, 5), Source::Config, None),
            part(d(2027, 3, 8), d(2027, 3, 8), Source::Config, None),
            part(d(2027, 3, 15), d(2027, 3, 15), Source::Config, None),
            part(d(2027, 3, 17), d(2027, 3, 17), Source::Config, None),
            part(d(2027, 3, 25), d(2027, 3, 25), Source::Config, None),
            part(d(2027, 3, 29), d(2027, 3, 29), Source::Config, None),
        ];
        let absences = Absences::build(&calendar, parts, |_| false);
        assert_eq!(
            spans(&absences),
            [
                (
                    d(2027, 3, 1),
                    d(2027, 3, 8),
                    "pto/alex/2027-03-01".to_owned(),
                    3
                ),
                (
                    d(2027, 3, 15),
                    d(2027, 3, 15),
                    "pto/alex/2027-03-15".to_owned(),
                    1
                ),
                (
                    d(2027, 3, 17),
                    d(2027, 3, 17),
                    "pto/alex/2027-03-17".to_owned(),
                    1
                ),
                (
                    d(2027, 3, 25),
                    d(2027, 3, 29),
                    "pto/alex/2027-03-25".to_owned(),
                    2
                ),
            ]
        );
        // Mon 03-01..Mon 03-08: 6 working days; Thu 03-25..Mon 03-29: Thu, Good Friday,
        // Mon = 3 days in a row, 2 of them working days.
        let default = calendar.default_calendar();
        let first = &absences.of("alex")[0];
        assert_eq!(first.run(default).days, 6);
        let easter = absences.of("alex")[3].tally(default);
        assert_eq!(easter.working_days, 2);
        assert_eq!(easter.run.days, 3);
        assert_eq!(
            easter.sentence(),
            "3 days away in a row, 2 working days off and the holiday Good Friday (2027-03-26)"
        );
        assert!(
            first.disagreements().is_empty(),
            "adjacent is not disagreeing"
        );
    }

    #[test]
    fn the_key_stays_with_an_open_issue_else_the_earliest_part() {
        let parts = || {
            vec![
                part(
                    d(2027, 3, 3),
                    d(2027, 3, 3),
                    Source::Config,
                    Some("dentist"),
                ),
                part(
                    d(2027, 3, 1),
                    d(2027, 3, 19),
                    Source::Feed("hr".into()),
                    Some("hr-9"),
                ),
            ]
        };
        let absences = Absences::build(&calendars(), parts(), |_| false);
        assert_eq!(absences.of("alex")[0].key(), "pto/hr-9");
        let absences = Absences::build(&calendars(), parts(), |k| k == "pto/dentist");
        assert_eq!(absences.of("alex")[0].key(), "pto/dentist");
        assert_eq!(
            absences.of("alex")[0].part_keys(),
            ["pto/hr-9", "pto/dentist"]
        );
        // A status alone gives no recorded key and is not recorded time off.
        let status = vec![part(d(2027, 3, 1), d(2027, 3, 2), Source::Status, None)];
        let absences = Absences::build(&calendars(), status, |_| false);
        assert!(!absences.of("alex")[0].is_recorded());
    }

    #[test]
    fn overlapping_days_are_counted_once() {
        // Mon 03-01..Fri 03-19 (15 working days) and Mon 03-08..Thu 03-11 (4, all inside):
        // 15 days off, not 19.
        let calendar = calendars();
        let parts = vec![
            part(d(2027, 3, 1), d(2027, 3, 19), Source::Config, None),
            part(d(2027, 3, 8), d(2027, 3, 11), Source::Config, None),
        ];
        let absences = Absences::build(&calendar, parts, |_| false);
        assert_eq!(
            absences.working_days_off(
                calendar.default_calendar(),
                "alex",
                d(2027, 3, 1),
                d(2027, 3, 31)
            ),
            15
        );
    }

    #[test]
    fn a_status_stays_apart_from_recorded_time_off_but_its_days_count_once() {
        // Status Mon 03-01 .. Wed 03-10, recorded Mon 03-08 .. Fri 03-12: two absences (the
        // recorded one keeps its dates), and Mon 03-01 .. Fri 03-12 off = 10 working days.
        let calendar = calendars();
        let parts = vec![
            part(d(2027, 3, 1), d(2027, 3, 10), Source::Status, None),
            part(d(2027, 3, 8), d(2027, 3, 12), Source::Config, None),
        ];
        let absences = Absences::build(&calendar, parts, |_| false);
        assert_eq!(
            spans(&absences),
            [
                (
                    d(2027, 3, 1),
                    d(2027, 3, 10),
                    "pto/alex/2027-03-01".to_owned(),
                    1
                ),
                (
                    d(2027, 3, 8),
                    d(2027, 3, 12),
                    "pto/alex/2027-03-08".to_owned(),
                    1
                ),
            ]
        );
        let default = calendar.default_calendar();
        assert_eq!(
            absences.working_days_off(default, "alex", d(2027, 3, 1), d(2027, 3, 31)),
            10
        );
        assert!(absences.on("alex", d(2027, 3, 9)).unwrap().is_recorded());
    }

    #[test]
    fn away_says_why() {
        let calendar = calendars();
        let parts = vec![part(d(2027, 3, 1), d(2027, 3, 2), Source::Config, None)];
        let absences = Absences::build(&calendar, parts, |_| false);
        let why = |day| absences.away(&calendar, "alex", day).map(|a| a.reason());
        assert_eq!(why(d(2027, 3, 1)).as_deref(), Some("time off"));
        assert_eq!(why(d(2027, 3, 3)), None);
        assert_eq!(
            why(d(2027, 3, 6)).as_deref(),
            Some("not a working day for them")
        );
        assert_eq!(why(d(2027, 3, 26)).as_deref(), Some("Good Friday"));
    }
}
