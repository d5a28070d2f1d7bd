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
