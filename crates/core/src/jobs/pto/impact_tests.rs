//! The impact of the people whose coverage issues are written: read in bulk, one call for
//! every place's issues and one for everyone's reviews, then told apart per person.

use std::cell::RefCell;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::{Impact, read_impacts};
use crate::tracker::{
    CreatedIssue, IssueEdit, IssuePlace, IssueQuery, IssueState, IssueTracker, LinkType,
    LinkedIssue, MilestoneScope, NewIssue, ReviewRequest, TrackedIssue, TrackedIteration,
    TrackedLabel, TrackedMilestone, TrackedNote, TrackedUser, TrackerError, UserStatus,
};

/// The port's methods the impact never calls.
macro_rules! not_called {
    () => {
        async fn list_issues(
            &self,
            _: &str,
            _: &IssueQuery,
        ) -> Result<Vec<TrackedIssue>, TrackerError> {
            unreachable!()
        }
        async fn create_issue(&self, _: &NewIssue) -> Result<CreatedIssue, TrackerError> {
            unreachable!()
        }
        async fn edit_issue(
            &self,
            _: &str,
            _: u64,
            _: &IssueEdit,
        ) -> Result<TrackedIssue, TrackerError> {
            unreachable!()
        }
        async fn list_group_issues(
            &self,
            _: &str,
            _: &IssueQuery,
        ) -> Result<Vec<TrackedIssue>, TrackerError> {
            unreachable!()
        }
        async fn list_notes(&self, _: &str, _: u64) -> Result<Vec<TrackedNote>, TrackerError> {
            unreachable!()
        }
        async fn list_links(&self, _: &str, _: u64) -> Result<Vec<LinkedIssue>, TrackerError> {
            unreachable!()
        }
        async fn add_note(&self, _: &str, _: u64, _: &str) -> Result<(), TrackerError> {
            unreachable!()
        }
        async fn link_issues(
            &self,
            _: &str,
            _: u64,
            _: &str,
            _: u64,
            _: LinkType,
        ) -> Result<(), TrackerError> {
            unreachable!()
        }
        async fn read_file(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
        ) -> Result<String, TrackerError> {
            unreachable!()
        }
        async fn list_milestones(
            &self,
            _: &MilestoneScope,
        ) -> Result<Vec<TrackedMilestone>, TrackerError> {
            unreachable!()
        }
        async fn list_iterations(&self, _: &str) -> Result<Vec<TrackedIteration>, TrackerError> {
            unreachable!()
        }
        async fn find_user(&self, _: &str) -> Result<Option<TrackedUser>, TrackerError> {
            unreachable!()
        }
        async fn user_status(&self, _: &str) -> Result<Option<UserStatus>, TrackerError> {
            unreachable!()
        }
        async fn create_label(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<Option<TrackedLabel>, TrackerError> {
            unreachable!()
        }
        async fn find_label(&self, _: &str, _: &str) -> Result<Option<TrackedLabel>, TrackerError> {
            unreachable!()
        }
        async fn delete_label(&self, _: &str, _: u64) -> Result<(), TrackerError> {
            unreachable!()
        }
        fn current_time(&self) -> DateTime<Utc> {
            unreachable!()
        }
        async fn sleep(&self, _: Duration) {
            unreachable!()
        }
    };
}

fn issue(project: &str, iid: u64, assignees: &[&str]) -> TrackedIssue {
    TrackedIssue {
        project: project.to_owned(),
        iid,
        title: format!("{project}#{iid}"),
        description: String::new(),
        state: IssueState::Opened,
        labels: vec![],
        assignees: assignees.iter().map(|a| (*a).to_owned()).collect(),
        milestone: None,
        due_date: None,
        confidential: false,
        web_url: format!("https://gitlab.example/{project}/-/issues/{iid}"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        closed_at: None,
        weight: None,
        user_notes_count: None,
        merge_requests_count: None,
    }
}

fn review(project: &str, iid: u64) -> ReviewRequest {
    ReviewRequest {
        project: project.to_owned(),
        iid,
        title: format!("{project}!{iid}"),
        web_url: format!("https://gitlab.example/{project}/-/merge_requests/{iid}"),
        author: "dee".to_owned(),
        draft: false,
    }
}

fn project(path: &str) -> IssuePlace {
    IssuePlace::Project(path.to_owned())
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| (*n).to_owned()).collect()
}

/// Places and the people whose issues there are asked for.
type Wanted = Vec<(IssuePlace, Vec<String>)>;

/// Answers in bulk and remembers what it was asked; the per-person reads must not be used.
#[derive(Default)]
struct Bulk {
    issue_calls: RefCell<Vec<Wanted>>,
    review_calls: RefCell<Vec<Vec<String>>>,
}

impl IssueTracker for Bulk {
    not_called!();

    async fn list_assigned_issues(
        &self,
        _: &IssuePlace,
        _: &str,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        unreachable!("read one person at a time")
    }

    async fn list_review_requests(&self, _: &str) -> Result<Vec<ReviewRequest>, TrackerError> {
        unreachable!("read one person at a time")
    }

    async fn list_assigned_issues_in(
        &self,
        wanted: &[(IssuePlace, Vec<String>)],
    ) -> Vec<Result<Vec<TrackedIssue>, TrackerError>> {
        self.issue_calls.borrow_mut().push(wanted.to_vec());
        wanted
            .iter()
            .map(|(place, _)| match place {
                // Unsorted; cy's issue is not asked for but comes along.
                IssuePlace::Project(_) => Ok(vec![
                    issue("g/web", 3, &["ana"]),
                    issue("g/api", 9, &["cy"]),
                    issue("g/web", 1, &["ben", "ana"]),
                ]),
                IssuePlace::Group(_) => Err(TrackerError::Unavailable("the group failed".into())),
            })
            .collect()
    }

    async fn list_review_requests_of(
        &self,
        usernames: &[String],
    ) -> Vec<Result<Vec<ReviewRequest>, TrackerError>> {
        self.review_calls.borrow_mut().push(usernames.to_vec());
        vec![
            Ok(vec![review("g/web", 5), review("g/api", 2)]),
            Err(TrackerError::Forbidden("Ben's reviews failed".into())),
            Ok(vec![]),
        ]
    }
}

#[tokio::test]
async fn one_read_for_the_issues_and_one_for_the_reviews_told_apart_per_person() {
    let tracker = Bulk::default();
    let impacted = [
        ("ana", project("g/web")),
        ("Ben", project("g/web")),
        ("cy", IssuePlace::Group("g".into())),
    ];
    let read = read_impacts(&tracker, &impacted).await;
    assert_eq!(
        *tracker.issue_calls.borrow(),
        [vec![
            (project("g/web"), names(&["ana", "Ben"])),
            (IssuePlace::Group("g".into()), names(&["cy"])),
        ]]
    );
    assert_eq!(
        *tracker.review_calls.borrow(),
        [names(&["ana", "Ben", "cy"])]
    );
    assert_eq!(
        read,
        [
            (
                "ana".to_owned(),
                Ok(Impact {
                    issues: vec![
                        issue("g/web", 1, &["ben", "ana"]),
                        issue("g/web", 3, &["ana"])
                    ],
                    reviews: vec![review("g/api", 2), review("g/web", 5)],
                })
            ),
            // `ben` is Ben: GitLab's usernames compare case-insensitively.
            ("Ben".to_owned(), Err("Ben's reviews failed".to_owned())),
            ("cy".to_owned(), Err("the group failed".to_owned())),
        ]
    );
}

/// Answers one person at a time, as a tracker without bulk reads.
#[derive(Default)]
struct OneByOne {
    asked: RefCell<Vec<String>>,
}

impl IssueTracker for OneByOne {
    not_called!();

    async fn list_assigned_issues(
        &self,
        _: &IssuePlace,
        username: &str,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        self.asked.borrow_mut().push(username.to_owned());
        match username {
            "ana" => Ok(vec![
                issue("g/web", 3, &["ana"]),
                issue("g/web", 1, &["ana", "ben"]),
            ]),
            "ben" => Ok(vec![issue("g/web", 1, &["ana", "ben"])]),
            _ => Ok(vec![]),
        }
    }

    async fn list_review_requests(
        &self,
        username: &str,
    ) -> Result<Vec<ReviewRequest>, TrackerError> {
        match username {
            "ben" => Err(TrackerError::Unavailable("ben's failed".into())),
            _ => Ok(vec![review("g/web", 5)]),
        }
    }
}

#[tokio::test]
async fn by_default_bulk_reads_ask_for_each_person_and_keep_a_shared_issue_once() {
    let tracker = OneByOne::default();
    let issues = tracker
        .list_assigned_issues_in(&[(project("g/web"), names(&["ana", "ben", "cy"]))])
        .await;
    assert_eq!(
        issues,
        [Ok(vec![
            issue("g/web", 3, &["ana"]),
            issue("g/web", 1, &["ana", "ben"])
        ])]
    );
    assert_eq!(*tracker.asked.borrow(), names(&["ana", "ben", "cy"]));
    let reviews = tracker
        .list_review_requests_of(&names(&["ana", "ben"]))
        .await;
    assert_eq!(
        reviews,
        [
            Ok(vec![review("g/web", 5)]),
            Err(TrackerError::Unavailable("ben's failed".into())),
        ]
    );
}
