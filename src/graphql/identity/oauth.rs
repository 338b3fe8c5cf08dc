//! Linked OpenID Connect identities over GraphQL: thin resolvers over
//! `service::identity::oauth`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::user_oauth_accounts;

use super::types::AuthPayload;
use crate::graphql::context::{app, viewer};
use crate::service::identity::oauth;

/// An identity at an OpenID Connect provider: exactly one of `idToken` or
/// `code` (with `redirectUri`).
#[derive(InputObject)]
pub struct OidcSignInInput {
    /// A configured provider name (see `oauthProviders`).
    pub provider: String,
    /// An ID token the client obtained from the provider.
    pub id_token: Option<String>,
    /// An authorization code for the server to exchange at the provider.
    pub code: Option<String>,
    /// The redirect URI the code was issued for; required with `code`.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier, when the authorization request used PKCE.
    pub code_verifier: Option<String>,
    /// When given, the ID token's `nonce` must equal it.
    pub nonce: Option<String>,
    /// Signing in with two-factor sign-in on: a 6-digit or recovery code.
    pub totp_code: Option<String>,
}

impl From<OidcSignInInput> for oauth::OidcInput {
    fn from(i: OidcSignInInput) -> Self {
        oauth::OidcInput {
            provider: i.provider,
            id_token: i.id_token,
            code: i.code,
            redirect_uri: i.redirect_uri,
            code_verifier: i.code_verifier,
            nonce: i.nonce,
            totp_code: i.totp_code,
        }
    }
}

/// Which linked identity to remove.
#[derive(InputObject)]
pub struct UnlinkOAuthAccountInput {
    /// The provider's configured name (as `OAuthAccount.provider`).
    pub provider: String,
}

/// An identity at a provider that signs in to your account.
pub struct OAuthAccount(pub user_oauth_accounts::Model);

/// An identity at an OpenID Connect provider that signs in to your account.
#[Object(name = "OAuthAccount")]
impl OAuthAccount {
    /// The link's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The provider's configured name (upper-case).
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// Your id at the provider (the ID token's `sub`).
    async fn provider_user_id(&self) -> &str {
        &self.0.provider_user_id
    }

    /// When it was linked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.with_timezone(&Utc)
    }
}

/// The result of `linkOAuthAccount`.
#[derive(SimpleObject)]
pub struct LinkOAuthAccountPayload {
    /// The linked identity.
    pub account: OAuthAccount,
}

/// Queries about linked identities.
#[derive(Default)]
pub struct OAuthQuery;

#[Object]
impl OAuthQuery {
    /// Names of the OpenID Connect providers you may sign in with (anyone).
    async fn oauth_providers(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(oauth::provider_names(app(ctx)?))
    }

    /// Your linked identities, oldest first.
    #[graphql(name = "viewerOAuthAccounts")]
    async fn viewer_oauth_accounts(&self, ctx: &Context<'_>) -> Result<Vec<OAuthAccount>> {
        Ok(oauth::list(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(OAuthAccount)
            .collect())
    }
}

/// Mutations of linked identities.
#[derive(Default)]
pub struct OAuthMutation;

#[Object]
impl OAuthMutation {
    /// Signs in with an identity linked to an account.
    async fn sign_in_with_oidc(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider and the authorization code it returned.")] input: OidcSignInInput,
    ) -> Result<AuthPayload> {
        Ok(AuthPayload(oauth::sign_in(app(ctx)?, viewer(ctx), input.into()).await?))
    }

    /// Links an identity to your account so that it can sign you in.
    #[graphql(name = "linkOAuthAccount")]
    async fn link_oauth_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider and the authorization code it returned.")] input: OidcSignInInput,
    ) -> Result<LinkOAuthAccountPayload> {
        let row = oauth::link(app(ctx)?, viewer(ctx), input.into()).await?;
        Ok(LinkOAuthAccountPayload {
            account: OAuthAccount(row),
        })
    }

    /// Removes your linked identity of a provider; false when there was
    /// none. Refused when it is your only way to sign in.
    #[graphql(name = "unlinkOAuthAccount")]
    async fn unlink_oauth_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The linked account to remove.")] input: UnlinkOAuthAccountInput,
    ) -> Result<bool> {
        Ok(oauth::unlink(app(ctx)?, viewer(ctx), &input.provider).await?)
    }
}
