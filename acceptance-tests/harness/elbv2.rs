//! Elastic Load Balancing fixtures in moto, made with boto3 from moto's own venv (the provider
//! needs no ELBv2 client, so the tests do not add the SDK crate for it): an application load
//! balancer with a listener and an `instance` target group, a second target group of type `ip`,
//! and one that belongs to no load balancer; and the targets a group has registered.

use std::process::Command;

use serde_json::Value;

use super::moto_python_bin;

const MAKE: &str = r#"
import json, sys, boto3
c = dict(endpoint_url=sys.argv[1], region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, elb = boto3.client("ec2", **c), boto3.client("elbv2", **c)
vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.90.{i}.0/24", AvailabilityZone=f"ap-northeast-1{z}")["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "c"))]
lb = elb.create_load_balancer(Name="wp-alb", Subnets=subnets, Type="application", Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
def tg(name, kind):
    return elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType=kind, HealthCheckPath="/wp-login.php", Matcher={"HttpCode": "200-399"})["TargetGroups"][0]["TargetGroupArn"]
web, ip, lonely = tg("wp-web", "instance"), tg("wp-ip", "ip"), tg("wp-lonely", "instance")
for arn in (web, ip):
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80 if arn == web else 8080, DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
print(json.dumps({"web": web, "ip": ip, "lonely": lonely, "vpc": vpc}))
"#;

const HEALTH: &str = r#"
import json, sys, boto3
c = dict(endpoint_url=sys.argv[1], region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing")
d = boto3.client("elbv2", **c).describe_target_health(TargetGroupArn=sys.argv[2])["TargetHealthDescriptions"]
print(json.dumps([{"id": t["Target"]["Id"], "port": t["Target"].get("Port"), "state": t["TargetHealth"]["State"]} for t in d]))
"#;

fn python(script: &str, args: &[&str]) -> Value {
    let out = Command::new(moto_python_bin()).arg("-c").arg(script).args(args).output().expect("run boto3");
    assert!(out.status.success(), "boto3 fixture failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("fixture JSON")
}

/// Target group ARNs: `web` (instance, behind the load balancer), `ip` (ip, behind it), `lonely`
/// (instance, no load balancer); and the `vpc`.
pub fn target_groups(endpoint: &str) -> Value {
    python(MAKE, &[endpoint])
}

/// The registered targets of a target group: (id, port, state).
pub fn targets(endpoint: &str, target_group_arn: &str) -> Vec<(String, i64, String)> {
    python(HEALTH, &[endpoint, target_group_arn])
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or_default().to_string(),
                t["port"].as_i64().unwrap_or(0),
                t["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
