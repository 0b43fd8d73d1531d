//! Destroy-time plan checks (`plan_destroy`, Terraform 1.3+): `terraform plan -destroy` shows what
//! keeps AWS from deleting a cluster before anything is destroyed, and does not count what the same
//! run destroys first.

use crate::harness::ecs::{deregister_all_instances, register_instance, register_task_definition};
use crate::harness::{newer_terraform_since, provider_block, skip_in_newer_leg, Aws, Moto, TfWorkspace};

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn plan_destroy_shows_the_clusters_blockers() {
    if skip_in_newer_leg("plan_destroy_shows_the_clusters_blockers") {
        return;
    }
    let Some(newer) = newer_terraform_since(3, "planning destroys (plan_destroy)") else {
        eprintln!("skipped: no Terraform newer than 1.0.3 on this machine (set AWSECS_ACC_NEWER_TERRAFORM); 1.0.3 never plans destroys");
        return;
    };
    let mut ws = TfWorkspace::new("plan_destroy");
    ws.use_terraform(newer);
    let moto = Moto::start_with(ws.path(), &["scheduler"]);
    let ep = moto.endpoint();
    let aws = Aws::new(&ep);
    let cluster = "pd";
    let td = register_task_definition(&aws, "idle", "nginx", 128, None, &[]);
    ws.write_config(&format!(
        "{}resource \"awsecs_cluster\" \"c\" {{\n  name = \"{cluster}\"\n}}\nresource \"awsecs_service\" \"web\" {{\n  name            = \"web\"\n  cluster         = awsecs_cluster.c.name\n  task_definition = \"{td}\"\n  desired_count   = 0\n}}\n",
        provider_block(&ep)
    ));
    ws.apply();

    // The service lives in the cluster, but this run destroys it first: not a blocker.
    for _ in 0..3 {
        let out = ws.run(&["plan", "-destroy", "-input=false"]);
        assert!(out.success(), "a destroy of everything Terraform manages must plan: {}", out.describe());
        assert!(out.stdout.contains("2 to destroy"), "{}", out.describe());
    }

    // A container instance registered outside Terraform: AWS would refuse the cluster's delete.
    let ci = register_instance(&aws, cluster);
    let deletes_before = moto.count_calls("DeleteService");
    let out = ws.run(&["plan", "-destroy", "-input=false"]);
    assert!(!out.success(), "the plan must refuse: {}", out.describe());
    let text = flat(&out.combined());
    assert!(text.contains("Cannot delete ECS cluster \"pd\": it still holds 1 thing(s)"), "{}", out.describe());
    assert!(text.contains(&format!("container instance {ci}")), "the blocker is named: {}", out.describe());
    assert!(!text.contains("service web"), "the service this run destroys is not a blocker: {}", out.describe());
    // `terraform destroy` refuses at its plan: nothing was destroyed.
    let out = ws.run(&["destroy", "-auto-approve", "-input=false"]);
    assert!(!out.success(), "{}", out.describe());
    assert_eq!(moto.count_calls("DeleteService"), deletes_before, "no destroy started: {}", out.describe());
    assert!(aws.describe_cluster(cluster).is_some());

    // Removing the cluster (and its service) from the configuration plans the same check.
    ws.write_config(&provider_block(&ep));
    let out = ws.run(&["plan", "-input=false"]);
    assert!(!out.success() && flat(&out.combined()).contains("Cannot delete ECS cluster \"pd\""), "{}", out.describe());

    deregister_all_instances(&aws, cluster);
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert!(out.success(), "{}", out.describe());
    assert!(aws.cluster_is_gone(cluster));
}
