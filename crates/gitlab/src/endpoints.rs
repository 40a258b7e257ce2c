//! The GitLab endpoints the `gitlab` crate (0.1905) lacks, one [`Endpoint`] per call:
//! listing project and group milestones, group iterations, and reading a user's status; and
//! [`OrderedAssignees`], which mends the order of a new issue's assignees.
//!
//! They only describe a request (method, path, parameters); sending, retrying and reading
//! the answer are the request layer's and the adapter's job.

use gitlab::api::common::path_escaped;
use gitlab::api::endpoint_prelude::*;

/// An issue create with its `assignee_ids[]` in the order given. GitLab keeps that order, and
/// GitLab Free keeps only the first (the new hire, the person away), but the crate's
/// `CreateIssue` holds the ids in a sorted set, which would put whoever has the lowest user id
/// first. So the issue is built without assignees and they are added to its form body here.
#[derive(Debug, Clone)]
pub(crate) struct OrderedAssignees<E> {
    /// The create, built without assignees.
    pub(crate) create: E,
    /// User ids, in the order they are to be assigned.
    pub(crate) ids: Vec<u64>,
}

impl<E: Endpoint> Endpoint for OrderedAssignees<E> {
    fn method(&self) -> Method {
        self.create.method()
    }

    fn endpoint(&self) -> Cow<'static, str> {
        self.create.endpoint()
    }

    fn parameters(&self) -> QueryParams<'_> {
        self.create.parameters()
    }

    fn body(&self) -> Result<Option<(&'static str, Vec<u8>)>, BodyError> {
        if self.ids.is_empty() {
            return self.create.body();
        }
        let mut params = FormParams::default();
        for id in &self.ids {
            params.push("assignee_ids[]", *id);
        }
        let Some((_, ids)) = params.into_body()? else {
            return self.create.body();
        };
        match self.create.body()? {
            Some((content_type, mut body)) => {
                if !body.is_empty() {
                    body.push(b'&');
                }
                body.extend(ids);
                Ok(Some((content_type, body)))
            }
            None => Ok(Some(("application/x-www-form-urlencoded", ids))),
        }
    }
}

/// `GET /projects/:id/milestones`: a project's milestones, with its groups' ones when
/// `include_ancestors`.
///
/// <https://docs.gitlab.com/api/milestones/#list-project-milestones>
#[derive(Debug, Clone)]
pub(crate) struct ProjectMilestones<'a> {
    /// Full path of the project.
    pub(crate) project: &'a str,
    /// Only the milestone with this exact title.
    pub(crate) title: Option<&'a str>,
    /// Include the milestones of the project's groups.
    pub(crate) include_ancestors: bool,
}

impl Endpoint for ProjectMilestones<'_> {
    fn method(&self) -> Method {
        Method::GET
    }

    fn endpoint(&self) -> Cow<'static, str> {
        format!("projects/{}/milestones", path_escaped(self.project)).into()
    }

    fn parameters(&self) -> QueryParams<'_> {
        let mut params = QueryParams::default();
        params
            .push_opt("title", self.title)
            .push("include_ancestors", self.include_ancestors);
        params
    }
}

impl Pageable for ProjectMilestones<'_> {}

/// `GET /groups/:id/milestones`: a group's milestones.
///
/// <https://docs.gitlab.com/api/group_milestones/#list-group-milestones>
#[derive(Debug, Clone)]
pub(crate) struct GroupMilestones<'a> {
    /// Full path of the group.
    pub(crate) group: &'a str,
}

impl Endpoint for GroupMilestones<'_> {
    fn method(&self) -> Method {
        Method::GET
    }

    fn endpoint(&self) -> Cow<'static, str> {
        format!("groups/{}/milestones", path_escaped(self.group)).into()
    }
}

impl Pageable for GroupMilestones<'_> {}

/// `GET /groups/:id/iterations`: a group's iterations (with its ancestors' ones, GitLab's
/// default).
///
/// <https://docs.gitlab.com/api/group_iterations/#list-group-iterations>
#[derive(Debug, Clone)]
pub(crate) struct GroupIterations<'a> {
    /// Full path of the group.
    pub(crate) group: &'a str,
}

impl Endpoint for GroupIterations<'_> {
    fn method(&self) -> Method {
        Method::GET
    }

    fn endpoint(&self) -> Cow<'static, str> {
        format!("groups/{}/iterations", path_escaped(self.group)).into()
    }
}

impl Pageable for GroupIterations<'_> {}

/// `GET /users/:id/status`: a user's status.
///
/// <https://docs.gitlab.com/api/users/#get-the-status-of-a-user>
#[derive(Debug, Clone)]
pub(crate) struct UserStatus {
    /// The user's numeric id.
    pub(crate) user: u64,
}

impl Endpoint for UserStatus {
    fn method(&self) -> Method {
        Method::GET
    }

    fn endpoint(&self) -> Cow<'static, str> {
        format!("users/{}/status", self.user).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(endpoint: &impl Endpoint) -> String {
        let mut url = url::Url::parse("https://gitlab.example.com/api/v4/").unwrap();
        url = url.join(&endpoint.endpoint()).unwrap();
        endpoint.parameters().add_to_url(&mut url);
        let query = url
            .as_str()
            .trim_start_matches("https://gitlab.example.com/api/v4/");
        // Without parameters the URL ends in an empty query.
        query.trim_end_matches('?').to_owned()
    }

    #[test]
    fn paths_are_url_encoded() {
        let milestones = ProjectMilestones {
            project: "team/sub group/planning",
            title: Some("17.4 & later"),
            include_ancestors: true,
        };
        assert_eq!(milestones.method(), Method::GET);
        assert_eq!(
            query(&milestones),
            "projects/team%2Fsub%20group%2Fplanning/milestones?title=17.4+%26+later&include_ancestors=true"
        );
        assert_eq!(
            query(&GroupMilestones { group: "team/sub" }),
            "groups/team%2Fsub/milestones"
        );
        assert_eq!(
            query(&GroupIterations { group: "team" }),
            "groups/team/iterations"
        );
        assert_eq!(query(&UserStatus { user: 42 }), "users/42/status");
    }

    #[test]
    fn lists_use_offset_pagination() {
        assert!(!GroupIterations { group: "team" }.use_keyset_pagination());
        assert!(!GroupMilestones { group: "team" }.use_keyset_pagination());
    }
}
