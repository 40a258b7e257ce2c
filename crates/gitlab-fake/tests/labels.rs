//! Project labels by id or title, as GitLab documents them
//! (<https://docs.gitlab.com/api/labels/>): a second create of a name answers 409 (teamcadence's
//! run lock relies on that), one label is read or deleted by id or title, and only the
//! project's own labels are deleted through the project.

mod common;

use reqwest::Method;

use common::{ALICE, BOB, Http, start, status_json};

const LABELS: &str = "/api/v4/projects/acme%2Fapp/labels";

#[tokio::test]
async fn a_label_is_created_once_read_and_deleted_by_id_or_title() {
    let fake = start().await;
    let http = Http::new(&fake);
    let lock = "name=teamcadence%3A%3Apto%3A%3Arun-lock&color=%23808080&description=held+until+x";
    let (status, first) = status_json(http.send_form(Method::POST, LABELS, BOB, lock).await).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["name"], "teamcadence::pto::run-lock");
    assert_eq!(first["description"], "held until x");
    let (status, second) =
        status_json(http.send_form(Method::POST, LABELS, ALICE, lock).await).await;
    assert_eq!(
        (status, second),
        (409, serde_json::json!({"message": "Label already exists"}))
    );

    let id = first["id"].as_u64().expect("id");
    let by_title = format!("{LABELS}/teamcadence%3A%3Apto%3A%3Arun-lock");
    let by_id = format!("{LABELS}/{id}");
    for path in [&by_title, &by_id] {
        let (status, label) = status_json(http.get(path, BOB).await).await;
        assert_eq!((status, &label["id"]), (200, &first["id"]), "{path}");
    }

    let deleted = http
        .request(Method::DELETE, &by_id, Some(BOB))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status(), 204);
    for (method, path) in [(Method::GET, &by_title), (Method::DELETE, &by_id)] {
        let (status, body) = status_json(
            http.request(method, path, Some(BOB))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(
            (status, body),
            (404, serde_json::json!({"message": "404 Label Not Found"})),
            "{path}"
        );
    }
    // Free again: the next create succeeds.
    let (status, _) = status_json(http.send_form(Method::POST, LABELS, BOB, lock).await).await;
    assert_eq!(status, 201);

    // A group's label is readable through the project but not deleted through it.
    let (status, _) = status_json(http.get(&format!("{LABELS}/team"), BOB).await).await;
    assert_eq!(status, 200);
    let group_label = http
        .request(Method::DELETE, &format!("{LABELS}/team"), Some(ALICE))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(group_label.status(), 404);
}
