"""After the demo's `terraform destroy`: checks that the local AWS endpoint holds nothing the demo
created (no ACTIVE cluster or service, no running instance or registered container instance, no
ingress rule of the RDS link), while the pre-existing database is still there.

Usage: python demo_check_empty.py ENDPOINT_URL   (exit 1 and a list of leftovers otherwise)
"""

import sys

import boto3

REGION = "ap-northeast-1"


def main():
    kw = dict(endpoint_url=sys.argv[1], region_name=REGION,
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

    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            if i["State"]["Name"] not in ("terminated", "shutting-down"):
                left.append(f"EC2 instance {i['InstanceId']} ({i['State']['Name']})")

    dbs = rds.describe_db_instances()["DBInstances"]
    if not dbs:
        left.append("the pre-existing database is gone (destroy must not delete it)")
    for db in dbs:
        for g in db.get("VpcSecurityGroups", []):
            rules = ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [g["VpcSecurityGroupId"]]}])["SecurityGroupRules"]
            for rule in rules:
                if not rule.get("IsEgress") and rule.get("ReferencedGroupInfo"):
                    left.append(f"ingress rule {rule['SecurityGroupRuleId']} on the database's group")

    if left:
        print("left behind after destroy:\n  - " + "\n  - ".join(left))
        sys.exit(1)
    print("Nothing left behind: no cluster, service, instance or link rule; the database is untouched.")


if __name__ == "__main__":
    main()
