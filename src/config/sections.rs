//! The parts of the configuration that need more than one number: the
//! query nesting bound, OpenID Connect providers, payment gateway
//! settings, argon2 parameters, and the optional `switchboard.toml`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::{ConfigError, OidcProvider, PaymentsConfig, Source, StorageConfig, KEYS};

/// Past a few hundred levels the recursive GraphQL parser overflows its
/// stack, and serde_json stops at 128: the nesting bound stays below both.
pub(super) fn max_nesting(src: &Source) -> Result<usize, ConfigError> {
    const KEY: &str = "SWITCHBOARD_MAX_NESTING";
    let v = src.positive(KEY, 32)?;
    if v > 128 {
        return Err(ConfigError::invalid(KEY, "must be at most 128"));
    }
    Ok(v as usize)
}

pub(super) fn oidc_providers(src: &Source) -> Result<Vec<OidcProvider>, ConfigError> {
    const KEY: &str = "SWITCHBOARD_OIDC_PROVIDERS";
    let Some(raw) = src.get(KEY) else {
        return Ok(Vec::new());
    };
    let mut list: Vec<OidcProvider> = serde_json::from_str(raw)
        .map_err(|e| ConfigError::invalid(KEY, format!("expected a JSON list of providers: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    for p in &mut list {
        p.name = p.name.trim().to_ascii_uppercase();
        let valid_name =
            !p.name.is_empty() && p.name.len() <= 32 && p.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider name {:?} must be 1-32 letters, digits or _", p.name),
            ));
        }
        if !(p.issuer.starts_with("https://")
            || p.issuer.starts_with("http://127.0.0.1")
            || p.issuer.starts_with("http://localhost"))
        {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {}: issuer must be an https URL", p.name),
            ));
        }
        if p.client_id.is_empty() {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {}: clientId is empty", p.name),
            ));
        }
        if !seen.insert(p.name.clone()) {
            return Err(ConfigError::invalid(
                KEY,
                format!("provider {} is listed twice", p.name),
            ));
        }
    }
    Ok(list)
}

pub(super) fn payments_config(src: &Source) -> Result<PaymentsConfig, ConfigError> {
    let test_gateway = match src
        .get("SWITCHBOARD_PAYMENTS_TEST_GATEWAY")
        .map(str::to_ascii_lowercase)
    {
        None => false,
        Some(v) if v == "true" || v == "1" || v == "yes" => true,
        Some(v) if v == "false" || v == "0" || v == "no" => false,
        Some(v) => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_PAYMENTS_TEST_GATEWAY",
                format!("expected true or false, got {v:?}"),
            ))
        }
    };
    let test_secret = match src.get("SWITCHBOARD_PAYMENTS_TEST_SECRET") {
        Some(s) if s.len() < 16 => {
            return Err(ConfigError::invalid(
                "SWITCHBOARD_PAYMENTS_TEST_SECRET",
                "must be at least 16 bytes long",
            ))
        }
        Some(s) => s.to_string(),
        None => crate::infra::crypto::random_token(32),
    };
    Ok(PaymentsConfig {
        test_gateway,
        test_secret,
        webhook_tolerance: Duration::from_secs(src.positive("SWITCHBOARD_PAYMENTS_WEBHOOK_TOLERANCE_SECS", 300)?),
    })
}

/// argon2id parameters, refused below OWASP's minimum (19 MiB, 2 passes).
pub(super) fn argon2_params(src: &Source) -> Result<crate::service::identity::password::Argon2Params, ConfigError> {
    let memory_kib = src.positive("SWITCHBOARD_ARGON2_MEMORY_KIB", 19_456)?;
    if memory_kib < 19_456 {
        return Err(ConfigError::invalid(
            "SWITCHBOARD_ARGON2_MEMORY_KIB",
            "must be at least 19456 (OWASP's minimum for argon2id)",
        ));
    }
    let iterations = src.positive("SWITCHBOARD_ARGON2_ITERATIONS", 2)?;
    if iterations < 2 {
        return Err(ConfigError::invalid(
            "SWITCHBOARD_ARGON2_ITERATIONS",
            "must be at least 2 (OWASP's minimum for argon2id)",
        ));
    }
    let parallelism = src.positive("SWITCHBOARD_ARGON2_PARALLELISM", 1)?;
    let narrow = |key: &str, v: u64| u32::try_from(v).map_err(|_| ConfigError::invalid(key, "is too large"));
    Ok(crate::service::identity::password::Argon2Params {
        memory_kib: narrow("SWITCHBOARD_ARGON2_MEMORY_KIB", memory_kib)?,
        iterations: narrow("SWITCHBOARD_ARGON2_ITERATIONS", iterations)?,
        parallelism: narrow("SWITCHBOARD_ARGON2_PARALLELISM", parallelism)?,
    })
}

pub(super) fn read_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let err = |reason: String| ConfigError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(e.message().to_string()))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let upper = key.to_ascii_uppercase();
        if !KEYS.iter().any(|(k, _, _)| *k == upper) {
            return Err(ConfigError::invalid(&key, "unknown key in switchboard.toml"));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::invalid(
                    &key,
                    format!("expected a string, number or boolean, got {}", other.type_str()),
                ))
            }
        };
        values.insert(upper, text);
    }
    Ok(values)
}

/// The object store of uploaded files and the upload limits.
pub(super) fn storage_config(src: &Source) -> Result<StorageConfig, ConfigError> {
    let url = src.get("SWITCHBOARD_STORAGE_URL").map(str::to_string);
    if let Some(u) = &url {
        let bucket = u.strip_prefix("s3://").unwrap_or("");
        if bucket.trim_end_matches('/').is_empty() || bucket.trim_end_matches('/').contains('/') {
            return Err(ConfigError::invalid("SWITCHBOARD_STORAGE_URL", "expected s3://bucket"));
        }
    }
    let opt = |k: &str| src.get(k).map(str::to_string);
    let access = opt("SWITCHBOARD_S3_ACCESS_KEY_ID");
    let secret = opt("SWITCHBOARD_S3_SECRET_ACCESS_KEY");
    if access.is_some() != secret.is_some() {
        return Err(ConfigError::invalid(
            "SWITCHBOARD_S3_SECRET_ACCESS_KEY",
            "set both SWITCHBOARD_S3_ACCESS_KEY_ID and SWITCHBOARD_S3_SECRET_ACCESS_KEY, or neither",
        ));
    }
    Ok(StorageConfig {
        url,
        s3_endpoint: opt("SWITCHBOARD_S3_ENDPOINT"),
        s3_region: opt("SWITCHBOARD_S3_REGION"),
        s3_access_key_id: access,
        s3_secret_access_key: secret,
        max_file_bytes: src
            .positive("SWITCHBOARD_UPLOAD_MAX_FILE_BYTES", 10 * 1024 * 1024)?
            .min(1 << 30) as usize,
        max_files: src.positive("SWITCHBOARD_UPLOAD_MAX_FILES", 10)?.min(100) as usize,
        link_ttl: Duration::from_secs(src.positive("SWITCHBOARD_FILE_LINK_TTL_SECS", 300)?.min(86_400)),
    })
}
