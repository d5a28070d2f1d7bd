//! Tokens of the backend API: made by the operator, shown once, kept only as a hash, one tenant each.

use buergerportal::db::api_tokens;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_token_is_shown_once_kept_as_a_hash_opens_only_its_tenant_and_ends_when_revoked() {
    let app = spawn_app().await;
    let create = |tenant: &str, name: &str| {
        let printed = app.command(&["api-token", "create", "--tenant", tenant, "--name", name]);
        printed.unwrap().trim().to_owned()
    };
    let token = create("musterstadt", "Fachverfahren Parken");
    assert_eq!(token.len(), 43, "256 random bits: {token}");
    let other = create("landkreis-musterland", "Wohngeld");

    let musterstadt: String = app.text("SELECT id FROM tenant WHERE slug = 'musterstadt'").await;
    assert_eq!(
        api_tokens::tenant_of(&app.db, &token).await.unwrap(),
        Some(musterstadt.clone())
    );
    assert_ne!(api_tokens::tenant_of(&app.db, &other).await.unwrap(), Some(musterstadt));
    let stored = |value: String| {
        let app = &app;
        async move {
            app.count(&format!("SELECT COUNT(*) FROM api_token WHERE token_hash = '{value}'"))
                .await
        }
    };
    assert_eq!(stored(token.clone()).await, 0, "the token itself is not stored");
    assert_eq!(
        stored(buergerportal::auth::token::hash(&token)).await,
        1,
        "its SHA-256 is"
    );
    let mut tampered = token.clone();
    tampered.replace_range(..1, if token.starts_with('A') { "B" } else { "A" });
    for wrong in [tampered.as_str(), "", &token[..42]] {
        assert_eq!(api_tokens::tenant_of(&app.db, wrong).await.unwrap(), None, "{wrong}");
    }

    let list = app.command(&["api-token", "list", "--tenant", "musterstadt"]).unwrap();
    assert!(list.contains("Fachverfahren Parken"), "{list}");
    assert!(!list.contains("Wohngeld"), "only the tenant's own tokens: {list}");
    assert!(!list.contains(&token), "the list never shows a token");
    assert!(list.contains("revoked -"), "{list}");
    let id = list.split('\t').next().unwrap().to_owned();

    assert_eq!(
        app.command(&["api-token", "revoke", &id]).unwrap().trim(),
        format!("token {id} revoked")
    );
    assert_eq!(api_tokens::tenant_of(&app.db, &token).await.unwrap(), None);
    assert!(
        api_tokens::tenant_of(&app.db, &other).await.unwrap().is_some(),
        "the other token still works"
    );
    assert!(
        !app.command(&["api-token", "list", "--tenant", "musterstadt"])
            .unwrap()
            .contains("revoked -")
    );
    let again = app.command(&["api-token", "revoke", &id]).unwrap_err();
    assert!(again.contains("no token"), "{again}");
}

#[tokio::test]
async fn a_token_for_an_unknown_tenant_is_refused() {
    let app = spawn_app().await;
    let refused = app
        .command(&["api-token", "create", "--tenant", "nirgendwo", "--name", "x"])
        .unwrap_err();
    assert!(refused.contains("there is no tenant nirgendwo"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM api_token").await, 0);
    assert!(app.command(&["api-token", "list", "--tenant", "nirgendwo"]).is_err());
}
