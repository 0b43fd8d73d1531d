//! Secrets stay secret: a whole run at TF_LOG=trace (Terraform's log and the provider's, every
//! diagnostic) never shows the access key, the secret key or the database password, including when
//! a configuration mistake is reported.

use crate::harness::{Moto, TfWorkspace, PROVIDER_SOURCE, REGION};

const ACCESS_KEY: &str = "AKIAEXAMPLENEVERLOGGED";
const SECRET_KEY: &str = "wJalrXUtnFEMI-secret-never-logged";
// Spaces and `!`: not a valid parameter name, so validation refuses it (and must not repeat it).
const DB_PASSWORD: &str = "wp Pa55word!never-logged";

fn provider(ep: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    awsecs = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}
provider "awsecs" {{
  region      = "{REGION}"
  access_key  = "{ACCESS_KEY}"
  secret_key  = "{SECRET_KEY}"
  max_retries = 1
  endpoints {{
    ecs = "{ep}"
    ec2 = "{ep}"
    rds = "{ep}"
    sts = "{ep}"
  }}
}}
"#
    )
}

fn assert_clean(what: &str, text: &str) {
    for secret in [ACCESS_KEY, SECRET_KEY, DB_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows a secret ({secret}):\n{text}");
    }
}

/// A line of Terraform's configuration snippet under a diagnostic: `  30:       value_from = "..."`.
fn is_source_line(line: &str) -> bool {
    let t = line.trim_start_matches(['│', ' ']);
    t.split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn no_secret_reaches_a_log_or_a_diagnostic() {
    let mut ws = TfWorkspace::new("secrets");
    let moto = Moto::start(ws.path());
    let ep = moto.endpoint();
    // The database password lives in Secrets Manager; the configuration only names it.
    let secret_arn = format!("arn:aws:secretsmanager:{REGION}:123456789012:secret:wp-db-AbCdEf");
    ws.set_env("TF_LOG", "trace");
    let config = |value_from: &str| {
        format!(
            r#"{}
resource "awsecs_cluster" "c" {{
  name = "quiet"
}}
resource "awsecs_task_definition" "wp" {{
  family             = "wp"
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  container {{
    name   = "wordpress"
    image  = "wordpress:6"
    memory = 256
    secret {{
      name       = "WORDPRESS_DB_PASSWORD"
      value_from = "{value_from}"
    }}
  }}
}}
"#,
            provider(&ep)
        )
    };
    ws.write_config(&config(&secret_arn));
    let applied = ws.run_ok(&["apply", "-auto-approve"]);
    assert_clean("apply at TF_LOG=trace", &applied.combined());
    assert!(applied.combined().contains("ConfigureProvider") || applied.combined().contains("configure"), "trace logs were written");

    // A user pastes the password itself where the reference goes: the error must not echo it.
    ws.write_config(&config(DB_PASSWORD));
    let refused = ws.run(&["plan"]);
    assert!(!refused.success(), "{}", refused.describe());
    assert!(refused.combined().contains("value_from"), "the error points at the attribute: {}", refused.combined());
    // Terraform quotes the user's own configuration line under the error ("  30:   value_from = ...");
    // what the provider wrote (summary and detail) must not repeat the value.
    let ours: String = refused.combined().lines().filter(|l| !is_source_line(l)).collect::<Vec<_>>().join("\n");
    assert_clean("the validation error", &ours);

    ws.write_config(&config(&secret_arn));
    let destroyed = ws.run_ok(&["destroy", "-auto-approve"]);
    assert_clean("destroy at TF_LOG=trace", &destroyed.combined());
}
