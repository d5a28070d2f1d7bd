use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_200() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_gone_and_the_process_keeps_serving() {
    let app = spawn_app().await;
    app.db.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.body.contains("Der Dienst ist gerade nicht erreichbar"),
        "{}",
        ready.body
    );
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn pages_answer_503_with_a_plain_explanation_while_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close().await;
    let page = app.get("/leistungen?q=Hund").await;
    assert_eq!(page.status, 503);
    assert_eq!(page.h1(), "Der Dienst ist gerade nicht erreichbar");
    assert!(page.body.contains(&page.header("x-request-id").unwrap()));
    for internal in ["sqlx", "pool", "Pool", "database"] {
        assert!(!page.body.contains(internal), "the page shows '{internal}'");
    }
}
