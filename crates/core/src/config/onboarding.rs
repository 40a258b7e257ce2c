//! The onboarding settings that reach past the first month (`onboarding.follow_ups`) and
//! the team facts a new member is given (`about`): their raw shape and validation.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{RawBoard, Validator, schema_of};
use crate::jobs::follow_ups::{Addressee, IfAway, OnboardingFollowUp};
use crate::limits::MAX_DAYS;
use crate::team::{About, Board};
use crate::template::Template;

/// How to reach the team, shown to new members (`{{team.about}}` in templates).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "About")]
pub(super) struct RawAbout {
    /// The team's GitLab group handles, such as `@gitlab-org/code-creation` (shown, never
    /// used to notify).
    #[serde(default)]
    handles: Vec<String>,
    /// Its chat channels, such as `#g_code-creation`.
    #[serde(default)]
    chat_channels: Vec<String>,
    /// Links to its pages: handbook page, team page, runbooks.
    #[serde(default)]
    pages: Vec<RawBoard>,
}

/// A note posted on the open onboarding issue on a working day counted from the start.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FollowUp")]
pub(super) struct RawFollowUp {
    /// The working day, counted from the start date (day 1).
    #[schemars(with = "u32")]
    day: Spanned<u32>,
    /// Who it is for (hire, manager, buddy): they must be at work that day.
    #[serde(default)]
    #[schemars(with = "Vec<RawAddressee>")]
    addresses: Vec<Spanned<String>>,
    /// Its text, a template (`{{mention hire}}`, `{{mentions people}}`, `{{team.name}}`).
    note: String,
    /// When someone it is for is away: `move` to the next working day they all are at work
    /// (default), or `skip` it.
    #[schemars(with = "Option<RawIfAway>")]
    if_away: Option<Spanned<String>>,
    /// Whether the issue is closed with this note, when still open; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    close: Option<bool>,
}

/// Who a follow-up is for.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "Addressee")]
#[allow(dead_code)] // only its schema is used
enum RawAddressee {
    /// The new team member.
    #[serde(rename = "hire")]
    Hire,
    /// Their manager.
    #[serde(rename = "manager")]
    Manager,
    /// Their buddy.
    #[serde(rename = "buddy")]
    Buddy,
}

/// What happens to a follow-up whose people are away.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "IfAway")]
#[allow(dead_code)] // only its schema is used
enum RawIfAway {
    /// Posted on the next working day they all are at work.
    #[serde(rename = "move")]
    Move,
    /// Not posted.
    #[serde(rename = "skip")]
    Skip,
}

impl Validator<'_> {
    /// A team's `about`.
    pub(super) fn about(&mut self, raw: Option<RawAbout>) -> About {
        let raw = raw.unwrap_or_default();
        About {
            handles: raw.handles,
            chat_channels: raw.chat_channels,
            pages: raw
                .pages
                .into_iter()
                .map(|p| Board {
                    name: p.name,
                    url: p.url,
                })
                .collect(),
        }
    }

    /// A team's onboarding follow-ups; the handbook's when not given.
    pub(super) fn follow_ups(
        &mut self,
        raw: Option<Vec<Spanned<RawFollowUp>>>,
        field: &str,
    ) -> Vec<OnboardingFollowUp> {
        let Some(raw) = raw else {
            return crate::jobs::follow_ups::defaults();
        };
        let mut list: Vec<OnboardingFollowUp> = Vec::new();
        for (i, entry) in raw.into_iter().enumerate() {
            let f = entry.value;
            let at = format!("{field}[{i}]");
            if f.day.value == 0 || f.day.value > MAX_DAYS {
                self.problem(
                    Some(f.day.referenced),
                    format!("{at}.day"),
                    format!("working day {} is not a follow-up day", f.day.value),
                    &format!("count working days from the start date, day 1, up to {MAX_DAYS}"),
                );
                continue;
            }
            if list.iter().any(|other| other.day == f.day.value) {
                self.problem(
                    Some(f.day.referenced),
                    format!("{at}.day"),
                    format!("two follow-ups are on working day {}", f.day.value),
                    "give each follow-up its own day (a day names its note on the issue)",
                );
                continue;
            }
            let mut addresses = Vec::new();
            for who in &f.addresses {
                match who.value.trim() {
                    "hire" => addresses.push(Addressee::Hire),
                    "manager" => addresses.push(Addressee::Manager),
                    "buddy" => addresses.push(Addressee::Buddy),
                    other => self.problem(
                        Some(who.referenced),
                        format!("{at}.addresses"),
                        format!("`{other}` is not someone a follow-up addresses"),
                        "use hire, manager or buddy",
                    ),
                }
            }
            let if_away = match f.if_away.as_ref().map(|s| s.value.trim()) {
                None | Some("move") => IfAway::Move,
                Some("skip") => IfAway::Skip,
                Some(other) => {
                    let other = other.to_owned();
                    if let Some(raw) = &f.if_away {
                        self.problem(
                            Some(raw.referenced),
                            format!("{at}.if_away"),
                            format!("`{other}` is not what to do when someone is away"),
                            "use move or skip",
                        );
                    }
                    IfAway::Move
                }
            };
            list.push(OnboardingFollowUp {
                day: f.day.value,
                addresses,
                note: Template::new(format!("{at}.note"), f.note),
                if_away,
                close: f.close.unwrap_or(false),
            });
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, NoFiles};
    use crate::jobs::follow_ups::{Addressee, IfAway};

    fn parse(onboarding: &str) -> Result<Config, String> {
        let text = format!(
            "teams:
  - id: t
    name: T
    project: g/p
    about: {{ handles: [\"@g/t\"], chat_channels: [\"#t\"], pages: [{{ name: Page, url: \"https://example.com\" }}] }}
    members:
      - {{ username: ann, name: Ann, role: engineering-manager }}
    onboarding: {onboarding}
"
        );
        Config::parse("team.yml", &text, &NoFiles).map_err(|e| e.to_string())
    }

    #[test]
    fn the_handbooks_follow_ups_are_the_default_and_an_empty_list_turns_them_off() {
        let config = parse("{}").expect("valid");
        let team = &config.teams[0];
        let days: Vec<u32> = team.onboarding.follow_ups.iter().map(|f| f.day).collect();
        assert_eq!(days, [2, 15, 60]);
        assert!(team.onboarding.follow_ups[2].close);
        assert_eq!(
            team.onboarding.follow_ups[1].addresses,
            [Addressee::Manager, Addressee::Buddy]
        );
        assert_eq!(team.about.handles, ["@g/t"]);
        assert_eq!(team.about.pages[0].name, "Page");
        let off = parse("{ follow_ups: [] }").expect("valid");
        assert!(off.teams[0].onboarding.follow_ups.is_empty());
        let skip =
            parse("{ follow_ups: [{ day: 3, addresses: [buddy], note: Hi, if_away: skip }] }")
                .expect("valid");
        assert_eq!(skip.teams[0].onboarding.follow_ups[0].if_away, IfAway::Skip);
    }

    #[test]
    fn each_mistake_is_named_at_its_field() {
        let cases = [
            (
                "{ follow_ups: [{ day: 0, note: Hi }] }",
                "follow_ups[0].day",
                "working day 0",
            ),
            (
                "{ follow_ups: [{ day: 2, note: Hi }, { day: 2, note: Ho }] }",
                "follow_ups[1].day",
                "two follow-ups are on working day 2",
            ),
            (
                "{ follow_ups: [{ day: 2, addresses: [ceo], note: Hi }] }",
                "follow_ups[0].addresses",
                "`ceo` is not someone a follow-up addresses",
            ),
            (
                "{ follow_ups: [{ day: 2, note: Hi, if_away: wait }] }",
                "follow_ups[0].if_away",
                "`wait` is not what to do when someone is away",
            ),
        ];
        for (onboarding, field, message) in cases {
            let text = parse(onboarding).expect_err(onboarding);
            assert!(
                text.contains(&format!("teams[t].onboarding.{field}")),
                "{text}"
            );
            assert!(text.contains(message), "{text}");
        }
    }
}
