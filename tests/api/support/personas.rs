//! Signed-in test users, made through the public API (and `create-admin`'s
//! service for the first administrator, as an operator would).

use serde_json::{json, Value};

use super::gql::Client;
use super::TestServer;

pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in user and a client carrying their access token.
#[derive(Clone)]
pub struct Persona {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    pub client: Client,
}

/// A unique email for this test.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.test", uuid::Uuid::new_v4().simple())
}

pub const AUTH_FIELDS: &str = "accessToken refreshToken expiresAt user { id email displayName roles isAdmin }";

fn persona(server_client: &Client, payload: &Value) -> Persona {
    let token = payload["accessToken"].as_str().expect("accessToken").to_string();
    Persona {
        id: payload["user"]["id"].as_str().expect("user id").to_string(),
        email: payload["user"]["email"].as_str().unwrap_or_default().to_string(),
        refresh_token: payload["refreshToken"].as_str().expect("refreshToken").to_string(),
        client: server_client.with_token(&token),
        access_token: token,
    }
}

/// Makes one signed-in request, so the server's session cache holds the
/// persona's session and statement counts measured later are the steady
/// state's (the first request after signing in checks the database).
async fn warm(p: Persona) -> Persona {
    p.client.run("{ viewer { id } }", json!({})).await;
    p
}

impl TestServer {
    /// An anonymous client.
    pub fn anon(&self) -> Client {
        Client::new(self.url("/graphql"))
    }

    /// Registers a new customer through `register`.
    pub async fn customer(&self, prefix: &str) -> Persona {
        let email = unique_email(prefix);
        let data = self
            .anon()
            .data(
                &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_FIELDS} }} }}"),
                json!({"i": {"email": email, "password": PASSWORD, "displayName": prefix}}),
            )
            .await;
        warm(persona(&self.anon(), &data["register"])).await
    }

    /// Signs in through `login`.
    pub async fn login(&self, email: &str, password: &str) -> Persona {
        let data = self
            .anon()
            .data(
                &format!("mutation($i: LoginInput!) {{ login(input: $i) {{ {AUTH_FIELDS} }} }}"),
                json!({"i": {"email": email, "password": password}}),
            )
            .await;
        warm(persona(&self.anon(), &data["login"])).await
    }

    /// A super administrator, created as `switchboard create-admin` does.
    pub async fn admin(&self) -> Persona {
        let email = unique_email("admin");
        switchboard::service::identity::accounts::create_admin(&self.ctx, &email, PASSWORD, "Admin")
            .await
            .expect("create admin");
        self.login(&email, PASSWORD).await
    }

    /// A user holding `role`, granted by `admin` through `assignRole`.
    pub async fn with_role(&self, admin: &Persona, role: &str, prefix: &str) -> Persona {
        let p = self.customer(prefix).await;
        admin
            .client
            .data(
                "mutation($i: AssignRoleInput!) { assignRole(input: $i) { user { id roles } } }",
                json!({"i": {"userId": p.id, "roleKey": role}}),
            )
            .await;
        p
    }

    /// A support agent working in the department with `department_code`.
    pub async fn agent(&self, admin: &Persona, department_code: &str) -> Persona {
        let p = self.with_role(admin, "support_agent", "agent").await;
        let deps = admin.client.data("{ departments { id code } }", json!({})).await;
        let id = deps["departments"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["code"] == department_code))
            .map(|d| d["id"].clone())
            .expect("department exists");
        admin
            .client
            .data(
                "mutation($i: SetUserDepartmentsInput!) { setUserDepartments(input: $i) { user { id } } }",
                json!({"i": {"userId": p.id, "departmentIds": [id]}}),
            )
            .await;
        p
    }
}
