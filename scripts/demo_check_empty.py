"""After the demo's `terraform destroy`: checks that the local AWS endpoint holds nothing the demo
created (no ACTIVE cluster or service, no running instance or registered container instance, no
ingress rule of the RDS link, no target still registered in a target group), while the
pre-existing pieces are still there: the database and, with --production, the EFS file system and
access point, the load balancer and target group, and the log group (demo_prereqs.py --production
made them; they are not the example's, so they are looked for, never counted as left behind).

Usage: python demo_check_empty.py ENDPOINT_URL [--production]
       (exit 1 and a list of leftovers otherwise)
"""

import sys

import boto3

REGION = "ap-northeast-1"


def registered_targets(elbv2):
    """Targets still registered in any target group. ECS registers a service's tasks in the target
    group of its load_balancer block and deregisters them when it stops them; a destroy that left
    one behind would keep the load balancer sending visitors to an instance that is gone."""
    left = []
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        for d in elbv2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]:
            target = d["Target"]
            left.append(f"target {target['Id']}:{target.get('Port', '?')} still registered in target group "
                        f"{tg['TargetGroupName']} ({d.get('TargetHealth', {}).get('State', '?')})")
    return left


def production_pieces_gone(kw):
    """The pieces demo_prereqs.py --production made, which a destroy must leave alone."""
    efs = boto3.client("efs", **kw)
    elbv2 = boto3.client("elbv2", **kw)
    logs = boto3.client("logs", **kw)
    gone = []
    file_systems = efs.describe_file_systems()["FileSystems"]
    if not file_systems:
        gone.append("the pre-existing EFS file system is gone (it holds the site's files)")
    for fs in file_systems:
        if not efs.describe_access_points(FileSystemId=fs["FileSystemId"])["AccessPoints"]:
            gone.append(f"the access point of {fs['FileSystemId']} is gone")
    if not elbv2.describe_load_balancers()["LoadBalancers"]:
        gone.append("the pre-existing load balancer is gone")
    if not elbv2.describe_target_groups()["TargetGroups"]:
        gone.append("the pre-existing target group is gone")
    if not logs.describe_log_groups(logGroupNamePrefix="/ecs/wordpress")["logGroups"]:
        gone.append("the pre-existing log group /ecs/wordpress is gone (it holds the containers' logs)")
    return gone


def main():
    args = sys.argv[1:]
    production = "--production" in args
    args = [a for a in args if a != "--production"]
    if len(args) != 1 or args[0].startswith("-"):
        sys.exit("usage: demo_check_empty.py ENDPOINT_URL [--production]")
    kw = dict(endpoint_url=args[0], region_name=REGION,
              aws_access_key_id="testing", aws_secret_access_key="testing")
    ecs = boto3.client("ecs", **kw)
    ec2 = boto3.client("ec2", **kw)
    rds = boto3.client("rds", **kw)
    left = []

    arns = ecs.list_clusters()["clusterArns"]
    for c in ecs.describe_clusters(clusters=arns)["clusters"] if arns else []:
        if c["status"] != "INACTIVE":
            left.append(f"cluster {c['clusterName']} ({c['status']})")
        svc = ecs.list_services(cluster=c["clusterArn"])["serviceArns"]
        for s in ecs.describe_services(cluster=c["clusterArn"], services=svc)["services"] if svc else []:
            if s["status"] != "INACTIVE":
                left.append(f"service {s['serviceName']} ({s['status']})")
        for ci in ecs.list_container_instances(cluster=c["clusterArn"])["containerInstanceArns"]:
            left.append(f"container instance {ci}")

    # The prerequisites run no EC2 instance (EFS mount targets and the load balancer have network
    # interfaces, not instances), so every instance here is the example's.
    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            if i["State"]["Name"] not in ("terminated", "shutting-down"):
                left.append(f"EC2 instance {i['InstanceId']} ({i['State']['Name']})")

    dbs = rds.describe_db_instances()["DBInstances"]
    if not dbs:
        left.append("the pre-existing database is gone (destroy must not delete it)")
    # Only the database's groups: the rules the prerequisites put on the web and EFS groups are
    # theirs, not the link's.
    for db in dbs:
        for g in db.get("VpcSecurityGroups", []):
            rules = ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [g["VpcSecurityGroupId"]]}])["SecurityGroupRules"]
            for rule in rules:
                if not rule.get("IsEgress") and rule.get("ReferencedGroupInfo"):
                    left.append(f"ingress rule {rule['SecurityGroupRuleId']} on the database's group")

    left += registered_targets(boto3.client("elbv2", **kw))
    if production:
        left += production_pieces_gone(kw)

    if left:
        print("left behind after destroy:\n  - " + "\n  - ".join(left))
        sys.exit(1)
    if production:
        print("Nothing left behind: no cluster, service, instance, link rule or registered target; the "
              "database, file system, load balancer, target group and log group are untouched.")
    else:
        print("Nothing left behind: no cluster, service, instance or link rule; the database is untouched.")


if __name__ == "__main__":
    main()
