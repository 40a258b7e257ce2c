//! The generic package registry over raw HTTP, as `curl --upload-file` and a release job
//! use it: round trips, GitLab's package-specific auth answers, validation, duplicates and
//! release-sized binaries.

mod common;

use gitlab_fake::{FakeGitlab, Options, Seed};
use reqwest::Method;
use serde_json::json;

use common::{ADMIN, Http, header, status_json};

/// Developer of both projects.
const DEV: &str = "dev-token";
/// Dev's read-only (`read_api`) token.
const DEV_READ_ONLY: &str = "dev-read-only";
/// Reporter of the public project.
const REPORTER: &str = "reporter-token";
/// Guest of the private project.
const GUEST: &str = "guest-token";
/// Member of nothing.
const OUTSIDER: &str = "outsider-token";
/// A job in the private project, triggered by dev.
const DEV_JOB: &str = "dev-job-token";
/// A job in the public project, triggered by the reporter.
const REPORTER_JOB: &str = "reporter-job-token";

const SEED: &str = r###"
now: 2026-11-20T10:00:00Z
users:
  - username: dev
    tokens:
      - dev-token
      - token: dev-read-only
        scopes: [read_api]
  - username: rep
    tokens: [reporter-token]
  - username: gus
    tokens: [guest-token]
  - username: olivia
    tokens: [outsider-token]
groups:
  - path: acme
    visibility: public
projects:
  - path: acme/tools
    visibility: public
    members: { dev: developer, rep: reporter }
  - path: acme/secret
    members: { dev: developer, gus: guest }
job_tokens:
  - token: dev-job-token
    project: acme/secret
    user: dev
  - token: reporter-job-token
    project: acme/tools
    user: rep
"###;

/// The public project's registry.
const TOOLS: &str = "/api/v4/projects/acme%2Ftools/packages/generic";
/// The private project's registry.
const SECRET: &str = "/api/v4/projects/acme%2Fsecret/packages/generic";

const PUT_ROUTE: &str =
    "PUT /api/v4/projects/:id/packages/generic/:package_name/:package_version/:file_name";
const GET_ROUTE: &str =
    "GET /api/v4/projects/:id/packages/generic/:package_name/:package_version/:file_name";

async fn start() -> FakeGitlab {
    let mut options = Options::new(ADMIN);
    options.seed = Some(Seed::from_yaml_str(SEED).expect("the seed parses"));
    FakeGitlab::start(options).await.expect("the fake starts")
}

/// Uploads `bytes` with a `PRIVATE-TOKEN` (or none).
async fn put(http: &Http, path: &str, token: Option<&str>, bytes: &[u8]) -> reqwest::Response {
    http.request(Method::PUT, path, token)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("PUT answered")
}

/// Downloads with a `PRIVATE-TOKEN` (or none).
async fn get(http: &Http, path: &str, token: Option<&str>) -> reqwest::Response {
    http.request(Method::GET, path, token)
        .send()
        .await
        .expect("GET answered")
}

/// Bytes that are not text: every byte value, NULs included.
fn binary(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

#[tokio::test]
async fn an_upload_downloads_byte_for_byte_and_is_stored_and_counted() {
    let fake = start().await;
    let http = Http::new(&fake);
    let bytes = binary(70_000, 1);
    let path = format!("{TOOLS}/teamcadence/1.4.0/teamcadence-x86_64-linux.tar.gz");

    let (status, body) = status_json(put(&http, &path, Some(DEV), &bytes).await).await;
    assert_eq!((status, body), (201, json!({"message": "201 Created"})));

    let answer = get(&http, &path, Some(DEV)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "content-type"), "application/octet-stream");
    assert_eq!(
        header(&answer, "content-disposition"),
        "attachment; filename=\"teamcadence-x86_64-linux.tar.gz\"; \
         filename*=UTF-8''teamcadence-x86_64-linux.tar.gz"
    );
    assert!(answer.bytes().await.unwrap() == bytes);

    // The numeric project id reaches the same package.
    let by_id = get(
        &http,
        "/api/v4/projects/1/packages/generic/teamcadence/1.4.0/teamcadence-x86_64-linux.tar.gz",
        Some(DEV),
    )
    .await;
    assert_eq!(by_id.status(), 200);

    let state = fake.state();
    let store = state.store();
    assert!(
        store.package_file(
            "acme/tools",
            "teamcadence",
            "1.4.0",
            "teamcadence-x86_64-linux.tar.gz"
        ) == Some(bytes.as_slice())
    );
    // Names are matched exactly, like GitLab's lookup.
    assert!(
        store
            .package_file(
                "acme/tools",
                "TeamCadence",
                "1.4.0",
                "teamcadence-x86_64-linux.tar.gz"
            )
            .is_none()
    );
    let dev = store.user_by_username("dev").unwrap().id;
    let package = store.packages().next().expect("one package");
    assert_eq!(
        (package.name.as_str(), package.version.as_str()),
        ("teamcadence", "1.4.0")
    );
    assert_eq!(package.files[0].uploader_id, dev);
    drop(store);

    let counts = fake.state().request_counts();
    assert_eq!(counts[PUT_ROUTE], 1);
    assert_eq!(counts[GET_ROUTE], 2);
}

#[tokio::test]
async fn anyone_reads_a_public_registry_and_members_read_a_private_one() {
    let fake = start().await;
    let http = Http::new(&fake);
    let public = format!("{TOOLS}/tool/1.0.0/tool.bin");
    let private = format!("{SECRET}/tool/1.0.0/tool.bin");
    assert_eq!(
        put(&http, &public, Some(DEV), b"public").await.status(),
        201
    );
    assert_eq!(
        put(&http, &private, Some(DEV), b"private").await.status(),
        201
    );

    let anonymous = get(&http, &public, None).await;
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.bytes().await.unwrap().as_ref(), b"public");
    // A guest of a private project reads its packages (GitLab 17).
    let guest = get(&http, &private, Some(GUEST)).await;
    assert_eq!(guest.status(), 200);
    assert_eq!(guest.bytes().await.unwrap().as_ref(), b"private");
    let read_only = get(&http, &private, Some(DEV_READ_ONLY)).await;
    assert_eq!(read_only.status(), 200);

    // The registry's own answers for a project the caller cannot see: 401 with a Basic
    // realm when anonymous, a plain 404 (not "Project Not Found") when signed in.
    let anonymous = get(&http, &private, None).await;
    assert_eq!(
        header(&anonymous, "www-authenticate"),
        "Basic realm=\"GitLab Packages Registry\""
    );
    assert_eq!(
        status_json(anonymous).await,
        (401, json!({"message": "401 Unauthorized"}))
    );
    assert_eq!(
        status_json(get(&http, &private, Some(OUTSIDER)).await).await,
        (404, json!({"message": "404 Not Found"}))
    );
    assert_eq!(
        status_json(get(&http, &private, Some("wrong-token")).await).await,
        (401, json!({"message": "401 Unauthorized"}))
    );
    assert_eq!(
        get(
            &http,
            "/api/v4/projects/acme%2Fnothing/packages/generic/tool/1.0.0/tool.bin",
            None
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn publishing_needs_a_developer_with_a_write_token() {
    let fake = start().await;
    let http = Http::new(&fake);
    let public = format!("{TOOLS}/tool/1.0.0/tool.bin");
    let private = format!("{SECRET}/tool/1.0.0/tool.bin");

    let anonymous = put(&http, &public, None, b"x").await;
    assert_eq!(
        header(&anonymous, "www-authenticate"),
        "Basic realm=\"GitLab Packages Registry\""
    );
    assert_eq!(
        status_json(anonymous).await,
        (401, json!({"message": "401 Unauthorized"}))
    );
    let wrong = put(&http, &public, Some("wrong-token"), b"x").await;
    assert!(!wrong.headers().contains_key("www-authenticate"));
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        status_json(put(&http, &public, Some(REPORTER), b"x").await).await,
        (403, json!({"message": "403 Forbidden"}))
    );
    assert_eq!(
        status_json(put(&http, &private, Some(GUEST), b"x").await).await,
        (403, json!({"message": "403 Forbidden"}))
    );
    assert_eq!(
        status_json(put(&http, &private, Some(OUTSIDER), b"x").await).await,
        (404, json!({"message": "404 Not Found"}))
    );
    let (status, body) = status_json(put(&http, &public, Some(DEV_READ_ONLY), b"x").await).await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("insufficient_scope"))
    );
    // Anonymous is refused before the parameters are looked at.
    assert_eq!(
        put(&http, &format!("{TOOLS}/tool/1..0/tool.bin"), None, b"x")
            .await
            .status(),
        401
    );
    assert_eq!(fake.state().store().packages().count(), 0);
}

#[tokio::test]
async fn job_tokens_publish_and_read_with_their_users_role() {
    let fake = start().await;
    let http = Http::new(&fake);
    let private = format!("{SECRET}/tool/2.0.0/tool.bin");
    let upload = http
        .request(Method::PUT, &private, None)
        .header("JOB-TOKEN", DEV_JOB)
        .body(b"from ci".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let download = http
        .request(Method::GET, &private, None)
        .header("JOB-TOKEN", DEV_JOB)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"from ci");

    // A job acts with its user's role: the reporter's job may read, not publish.
    let refused = http
        .request(Method::PUT, &format!("{TOOLS}/tool/2.0.0/tool.bin"), None)
        .header("JOB-TOKEN", REPORTER_JOB)
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let reads_public = http
        .request(Method::GET, &format!("{TOOLS}/tool/2.0.0/tool.bin"), None)
        .header("JOB-TOKEN", REPORTER_JOB)
        .send()
        .await
        .unwrap();
    assert_eq!(reads_public.status(), 404, "nothing was published there");
    let private_to_reporter = http
        .request(Method::GET, &private, None)
        .header("JOB-TOKEN", REPORTER_JOB)
        .send()
        .await
        .unwrap();
    assert_eq!(private_to_reporter.status(), 404);
    let wrong = http
        .request(Method::GET, &private, None)
        .header("JOB-TOKEN", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn names_versions_and_file_names_are_validated_like_grape() {
    let fake = start().await;
    let http = Http::new(&fake);
    let cases = [
        ("tool/1..0/tool.bin", "package_version is invalid"),
        ("tool/1.0%20beta/tool.bin", "package_version is invalid"),
        ("my%20tool/1.0.0/tool.bin", "package_name is invalid"),
        // An encoded slash is decoded into the name, where it is refused.
        ("my%2F..%2Ftool/1.0.0/tool.bin", "package_name is invalid"),
        ("tool/1.0.0/~tool.bin", "file_name is invalid"),
        ("tool/1.0.0/tool.bin@", "file_name is invalid"),
        // (`..` itself cannot be sent: clients resolve dot segments, even `%2E%2E`; the
        // unit tests cover GitLab's `should be a valid file path` for it.)
        (
            "my%20tool/1..0/tool.bin",
            "package_name is invalid, package_version is invalid",
        ),
    ];
    for (suffix, error) in cases {
        let path = format!("{TOOLS}/{suffix}");
        assert_eq!(
            status_json(put(&http, &path, Some(DEV), b"x").await).await,
            (400, json!({ "error": error })),
            "PUT {suffix}"
        );
        assert_eq!(
            status_json(get(&http, &path, Some(DEV)).await).await,
            (400, json!({ "error": error })),
            "GET {suffix}"
        );
    }
    // Versions are free-form apart from that: GitLab's own accepted examples.
    for version in [
        "1.2",
        "1.2.bananas",
        "v1.2.4-build",
        "1.3.350-20201230123456",
    ] {
        let path = format!("{TOOLS}/tool/{version}/tool+linux~x86@64.bin");
        assert_eq!(
            put(&http, &path, Some(DEV), b"x").await.status(),
            201,
            "{version}"
        );
    }
    assert_eq!(fake.state().store().packages().count(), 4);
}

#[tokio::test]
async fn missing_packages_and_files_are_404() {
    let fake = start().await;
    let http = Http::new(&fake);
    assert_eq!(
        put(
            &http,
            &format!("{TOOLS}/tool/1.0.0/tool.bin"),
            Some(DEV),
            b"x"
        )
        .await
        .status(),
        201
    );
    for missing in [
        "nothing/1.0.0/tool.bin",
        "tool/9.9.9/tool.bin",
        "tool/1.0.0/other.bin",
    ] {
        assert_eq!(
            status_json(get(&http, &format!("{TOOLS}/{missing}"), Some(DEV)).await).await,
            (404, json!({"message": "404 Not found"})),
            "{missing}"
        );
    }
    // Anonymous callers of a public project get the same 404.
    assert_eq!(
        get(&http, &format!("{TOOLS}/tool/1.0.0/other.bin"), None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_reupload_is_kept_and_the_latest_one_is_served() {
    let fake = start().await;
    let http = Http::new(&fake);
    let path = format!("{TOOLS}/tool/1.0.0/tool.bin");
    assert_eq!(put(&http, &path, Some(DEV), b"first").await.status(), 201);
    assert_eq!(put(&http, &path, Some(DEV), b"second").await.status(), 201);
    let latest = get(&http, &path, None).await;
    assert_eq!(latest.bytes().await.unwrap().as_ref(), b"second");

    let state = fake.state();
    let store = state.store();
    let packages: Vec<_> = store.packages().collect();
    assert_eq!(packages.len(), 1, "one package, two files");
    let contents: Vec<&[u8]> = packages[0]
        .files
        .iter()
        .map(|file| file.content.as_slice())
        .collect();
    assert_eq!(contents, [b"first".as_slice(), b"second".as_slice()]);
    assert_eq!(
        store.package_file("acme/tools", "tool", "1.0.0", "tool.bin"),
        Some(b"second".as_slice())
    );
}

#[tokio::test]
async fn release_sized_binaries_upload_and_download_whole() {
    let fake = start().await;
    let http = Http::new(&fake);
    // Well over axum's 2 MB default body limit and the 16 MiB of other API bodies.
    let bytes = binary(30 * 1024 * 1024, 7);
    let path = format!("{TOOLS}/teamcadence/2.0.0/teamcadence");
    assert_eq!(put(&http, &path, Some(DEV), &bytes).await.status(), 201);
    let downloaded = get(&http, &path, Some(DEV)).await.bytes().await.unwrap();
    assert_eq!(downloaded.len(), bytes.len());
    assert!(downloaded == bytes, "the download differs from the upload");
}
