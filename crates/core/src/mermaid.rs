//! Mermaid `gantt` charts of who is away around a milestone or a time off.
//!
//! GitLab renders a ```` ```mermaid ```` code block as a diagram. Inside a code block GitLab
//! sees no mention, reference or quick action, so the danger here is Mermaid's own syntax:
//! a `:` ends a task's name, `#` and `%%` start comments, `;` ends a statement, a backtick
//! could close the code block and a newline would start a new statement. Every label passes
//! through [`label`], which replaces those characters with look-alikes, so that a person's
//! name (quotes, colons, non-Latin letters) reads the same and parses; GitLab's reference
//! sigils (`@ ! $ ^ [ ] # % & ~`) get look-alikes too, so a label copied out of the chart
//! stays inert. Task names are fixed
//! words written here; data only ever reaches a section's or the chart's title, after the
//! keyword that makes the rest of the line a title.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest label, in characters: a chart's left column is as wide as its longest name.
const MAX_LABEL_CHARS: usize = 40;

/// A Gantt chart: a title, then sections of bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gantt {
    /// The chart's title.
    pub title: String,
    /// Its sections, top to bottom.
    pub sections: Vec<Section>,
}

/// One row group of a chart: the milestone's timeline, or one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Its name (a person's display name, or a fixed heading).
    pub name: String,
    /// Its bars, in date order.
    pub bars: Vec<Bar>,
}

/// One bar or marker of a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// What it shows; decides its fixed task name and its colour.
    pub kind: BarKind,
    /// Its first day.
    pub start: NaiveDate,
    /// How many calendar days it lasts; a marker lasts none.
    pub days: u32,
}

/// What a bar shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarKind {
    /// The milestone itself, start to cut-off.
    Milestone,
    /// The planning lock (a marker).
    PlanningLock,
    /// The kickoff (a marker).
    Kickoff,
    /// The code cut-off (a marker).
    CutOff,
    /// The release (a marker).
    Release,
    /// Time off.
    TimeOff,
    /// A public holiday.
    Holiday,
    /// Away by GitLab status.
    Away,
}

impl BarKind {
    /// The task name and the Mermaid tags of the bar.
    fn task(self) -> (&'static str, &'static str) {
        match self {
            BarKind::Milestone => ("Milestone", "active, "),
            BarKind::PlanningLock => ("Planning lock", "milestone, "),
            BarKind::Kickoff => ("Kickoff", "milestone, "),
            BarKind::CutOff => ("Code cut-off", "milestone, "),
            BarKind::Release => ("Release", "milestone, "),
            BarKind::TimeOff => ("Time off", "crit, "),
            BarKind::Holiday => ("Holiday", "done, "),
            BarKind::Away => ("Away", "crit, "),
        }
    }
}

/// Makes a data value safe as a Mermaid title on one line inside a GitLab code block: what
/// Mermaid or Markdown would read as syntax becomes a look-alike, control characters and
/// line breaks become spaces, runs of spaces one, and it is cut to [`MAX_LABEL_CHARS`].
pub fn label(value: &str) -> String {
    let mapped: String = value
        .chars()
        .map(|c| match c {
            ':' => '\u{A789}',              // MODIFIER LETTER COLON: ends a task's name
            '#' => '\u{FF03}',              // FULLWIDTH NUMBER SIGN: a comment or entity code
            ';' => ',',                     // ends a statement
            '%' => '\u{FF05}',              // FULLWIDTH PERCENT SIGN: `%%` starts a comment
            '`' | '\u{00B4}' => '\u{2019}', // a code fence's character
            '~' => '\u{223C}',              // TILDE OPERATOR: the other code fence's character
            '<' => '\u{2039}',              // Mermaid labels may be read as HTML
            '>' => '\u{203A}',
            '&' => '\u{FF06}',
            '{' => '(', // `%%{init}%%` directives
            '}' => ')',
            '"' => '\u{201D}', // quoted strings in some Mermaid grammars
            // GitLab sees no reference inside a code block; the look-alikes keep it so
            // even if a reader copies the label out of the chart.
            '@' => '\u{FF20}',
            '!' => '\u{FF01}',
            '$' => '\u{FF04}',
            '^' => '\u{FF3E}',
            '[' => '\u{FF3B}',
            ']' => '\u{FF3D}',
            c if c.is_control() || crate::neutralise::breaks_line(c) => ' ',
            c => c,
        })
        .collect();
    let words: Vec<&str> = mapped.split_whitespace().collect();
    let joined = words.join(" ");
    let mut cut: String = joined.chars().take(MAX_LABEL_CHARS).collect();
    if joined.chars().count() > MAX_LABEL_CHARS {
        cut = format!("{}\u{2026}", cut.trim_end());
    }
    if cut.is_empty() { "?".to_owned() } else { cut }
}

impl Gantt {
    /// The chart as a fenced ```` ```mermaid ```` block, every label neutralised.
    pub fn render(&self) -> String {
        let mut lines = vec![
            "```mermaid".to_owned(),
            "gantt".to_owned(),
            format!("    title {}", label(&self.title)),
            "    dateFormat YYYY-MM-DD".to_owned(),
            "    axisFormat %m-%d".to_owned(),
        ];
        for section in &self.sections {
            lines.push(format!("    section {}", label(&section.name)));
            for bar in &section.bars {
                let (name, tags) = bar.kind.task();
                lines.push(format!(
                    "    {name} :{tags}{}, {}d",
                    bar.start.format("%Y-%m-%d"),
                    bar.days
                ));
            }
        }
        lines.push("```".to_owned());
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn labels_lose_mermaid_and_markdown_syntax_but_keep_their_letters() {
        assert_eq!(
            label("Zoë \"Z\" O'Brien: #1"),
            "Zoë \u{201D}Z\u{201D} O'Brien\u{A789} \u{FF03}1"
        );
        assert_eq!(
            label("李雷 %%{init}%%"),
            "李雷 \u{FF05}\u{FF05}(init)\u{FF05}\u{FF05}"
        );
        assert_eq!(
            label("a\nsection b;```"),
            "a section b,\u{2019}\u{2019}\u{2019}"
        );
        assert_eq!(label("  "), "?");
        assert_eq!(
            label(&"x".repeat(50)),
            format!("{}\u{2026}", "x".repeat(40))
        );
    }

    #[test]
    fn a_chart_is_one_fenced_block_with_fixed_task_names() {
        let chart = Gantt {
            title: "19.8: Code Creation".to_owned(),
            sections: vec![
                Section {
                    name: "Milestone".to_owned(),
                    bars: vec![
                        Bar {
                            kind: BarKind::PlanningLock,
                            start: d("2026-12-07"),
                            days: 0,
                        },
                        Bar {
                            kind: BarKind::Milestone,
                            start: d("2026-12-12"),
                            days: 35,
                        },
                    ],
                },
                Section {
                    name: "Ana: \"the\" #1".to_owned(),
                    bars: vec![Bar {
                        kind: BarKind::TimeOff,
                        start: d("2026-12-28"),
                        days: 4,
                    }],
                },
            ],
        };
        insta::assert_snapshot!(chart.render());
    }
}
