//! `GET /job`: the CI job behind a `JOB-TOKEN` (what the `gitlab` crate calls when it is
//! built with a job token). Any other credential answers 401, as on GitLab.

use axum::extract::State;
use serde_json::json;

use crate::app::{ApiRequest, App, ok, timestamp};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::users::basic_json;

/// `GET /job`.
pub(crate) async fn current(State(app): State<App>, request: ApiRequest) -> ApiResult {
    let Caller::Job(caller) = &request.caller else {
        return Err(ApiError::unauthorized());
    };
    let store = app.store();
    let job = store
        .jobs
        .get(&caller.job_id)
        .ok_or_else(ApiError::unauthorized)?;
    let project = store.projects.get(&job.project_id);
    let project_url = project
        .map(|project| format!("{}/{}", store.base_url, store.project_full_path(project)))
        .unwrap_or_default();
    let user = store
        .users
        .get(&job.user_id)
        .map(|user| basic_json(&store, user));
    let sha = format!("{:040x}", job.pipeline_id);
    Ok(ok(json!({
        "id": job.id,
        "status": "running",
        "stage": job.stage,
        "name": job.name,
        "ref": job.git_ref,
        "tag": false,
        "coverage": null,
        "allow_failure": false,
        "created_at": timestamp(job.created_at),
        "started_at": timestamp(job.created_at),
        "finished_at": null,
        "erased_at": null,
        "duration": null,
        "queued_duration": 0.5,
        "user": user,
        "commit": {
            "id": sha,
            "short_id": &sha[..8],
            "title": "Scheduled pipeline",
            "created_at": timestamp(job.created_at),
        },
        "pipeline": {
            "id": job.pipeline_id,
            "iid": job.pipeline_id,
            "project_id": job.project_id,
            "sha": sha,
            "ref": job.git_ref,
            "status": "running",
            "source": job.pipeline_source,
            "created_at": timestamp(job.created_at),
            "updated_at": timestamp(job.created_at),
            "web_url": format!("{project_url}/-/pipelines/{}", job.pipeline_id),
        },
        "web_url": format!("{project_url}/-/jobs/{}", job.id),
        "project": { "ci_job_token_scope_enabled": false },
        "artifacts": [],
        "runner": null,
        "artifacts_expire_at": null,
        "archived": false,
        "tag_list": [],
    })))
}
