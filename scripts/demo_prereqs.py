"""Creates, in a local moto endpoint, the pieces the walkthrough assumes already exist in the AWS
account, and prints them as a terraform.tfvars.json for examples/wordpress:

- a VPC with two subnets in two availability zones (the database's VPC, where the instances go),
- the web security group (HTTP 80 from anywhere, SSH 22 from the admin CIDR),
- the database security group and DB subnet group, and a MySQL RDS instance,
- the IAM role and instance profile container instances use (ecsInstanceRole),
- the task execution role ECS uses to fetch the secret when a task starts (ecsTaskExecutionRole),
- an EC2 key pair,
- a Secrets Manager secret holding the database password.

With --production, also what examples/wordpress-production assumes exists, and prints the
variables of that example instead (`subnet_ids`, both subnets, instead of `subnet_id`):

- an EFS file system for /var/www/html (encrypted at rest), a security group that lets the web
  instances reach it on NFS (TCP 2049), a mount target in each of the two subnets, and an access
  point that makes every file operation uid/gid 33 (www-data in the WordPress image) under
  /wordpress,
- an application load balancer in the two subnets with the web security group, which also gets
  the ephemeral port range (32768-65535) from itself, so the load balancer reaches containers on
  their dynamic host ports,
- an HTTP target group (target type instance, port 80, in the database's VPC, health check
  /wp-login.php expecting 200-399, deregistration delay 30 s) and an HTTP listener on port 80
  forwarding to it (ECS refuses a target group no load balancer uses),
- a CloudWatch Logs log group /ecs/wordpress, logs kept 30 days (the execution role above may
  already write to it: AmazonECSTaskExecutionRolePolicy has logs:CreateLogStream and PutLogEvents).

The load balancer's DNS name (where the site answers) goes to stderr, not into the variables.
Against a real account these already exist and you write their ids into terraform.tfvars yourself.

Usage: python demo_prereqs.py ENDPOINT_URL [--production] > terraform.tfvars.json
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError

REGION = "ap-northeast-1"
ADMIN_CIDR = "203.0.113.0/24"
WWW_DATA = 33  # uid and gid of www-data in the official WordPress image (Debian)
LOG_GROUP = "/ecs/wordpress"
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
# That managed policy's statement, for a moto that has not loaded AWS's managed policies
# (it does only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, which the demo does not set).
EXECUTION_POLICY_STATEMENT = {
    "Effect": "Allow",
    "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
               "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}


def create_execution_role(iam, secret_arn):
    """ecsTaskExecutionRole, as the IAM console makes it (trusted entity: Elastic Container Service
    Task), with AmazonECSTaskExecutionRolePolicy and an inline policy that reads the one secret."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    try:
        iam.attach_role_policy(RoleName="ecsTaskExecutionRole", PolicyArn=EXECUTION_POLICY_ARN)
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise
        iam.put_role_policy(RoleName="ecsTaskExecutionRole", PolicyName="AmazonECSTaskExecutionRolePolicyCopy",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [EXECUTION_POLICY_STATEMENT]}))
    read_secret = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}]}
    iam.put_role_policy(RoleName="ecsTaskExecutionRole", PolicyName="wordpress-db-password",
                        PolicyDocument=json.dumps(read_secret))
    return arn


def create_production(kw, vpc, subnets, web_sg):
    """What examples/wordpress-production adds to the walkthrough's pre-existing pieces: shared
    storage, a load balancer with its target group, and a log group. Returns the example's extra
    variables, and the load balancer's DNS name."""
    ec2 = boto3.client("ec2", **kw)
    efs = boto3.client("efs", **kw)
    elbv2 = boto3.client("elbv2", **kw)
    logs = boto3.client("logs", **kw)

    # The load balancer sits in the web security group (as the walkthrough has only that one), and
    # the containers listen on dynamic host ports: the group must let itself in on that range.
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 32768, "ToPort": 65535,
         "UserIdGroupPairs": [{"GroupId": web_sg, "Description": "load balancer to dynamic host ports"}]},
    ])

    # EFS: the instances mount it over NFS, so the mount targets' group lets the web group in on 2049.
    efs_sg = ec2.create_security_group(GroupName="wordpress-efs", Description="WordPress EFS mount targets",
                                       VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=efs_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
         "UserIdGroupPairs": [{"GroupId": web_sg, "Description": "NFS from the web instances"}]},
    ])
    fs = efs.create_file_system(CreationToken="wordpress-html", PerformanceMode="generalPurpose",
                                ThroughputMode="bursting", Encrypted=True,
                                Tags=[{"Key": "Name", "Value": "wordpress-html"}])["FileSystemId"]
    for subnet in subnets:  # one per Availability Zone the instances may run in
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnet, SecurityGroups=[efs_sg])
    access_point = efs.create_access_point(
        ClientToken="wordpress-html", FileSystemId=fs,
        PosixUser={"Uid": WWW_DATA, "Gid": WWW_DATA},
        RootDirectory={"Path": "/wordpress",
                       "CreationInfo": {"OwnerUid": WWW_DATA, "OwnerGid": WWW_DATA, "Permissions": "0755"}},
        Tags=[{"Key": "Name", "Value": "wordpress-html"}])["AccessPointId"]

    lb = elbv2.create_load_balancer(Name="wordpress", Type="application", Scheme="internet-facing",
                                    Subnets=subnets, SecurityGroups=[web_sg])["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name="wordpress", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
        HealthCheckProtocol="HTTP", HealthCheckPath="/wp-login.php", HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2, UnhealthyThresholdCount=3,
        Matcher={"HttpCode": "200-399"})["TargetGroups"][0]["TargetGroupArn"]
    # The default delay is 300 s: each old task of a deployment would stay 5 minutes after the
    # load balancer stops sending it new requests. WordPress requests are short.
    elbv2.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])

    logs.create_log_group(logGroupName=LOG_GROUP, tags={"app": "wordpress"})
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=30)
    # The containers write to it with the task execution role: on EC2 too, the ECS agent hands the
    # awslogs driver that role's credentials when the task has one. ecsTaskExecutionRole above has
    # logs:CreateLogStream and logs:PutLogEvents (AmazonECSTaskExecutionRolePolicy). moto checks
    # no IAM permissions.

    return {
        "efs_file_system_id": fs,
        "efs_access_point_id": access_point,
        "target_group_arn": tg,
        "log_group_name": LOG_GROUP,
    }, lb["DNSName"]


def main():
    args = sys.argv[1:]
    production = "--production" in args
    args = [a for a in args if a != "--production"]
    if len(args) != 1 or args[0].startswith("-"):
        sys.exit("usage: demo_prereqs.py ENDPOINT_URL [--production] > terraform.tfvars.json")
    endpoint = args[0]
    kw = dict(endpoint_url=endpoint, region_name=REGION,
              aws_access_key_id="testing", aws_secret_access_key="testing")
    ec2 = boto3.client("ec2", **kw)
    rds = boto3.client("rds", **kw)
    iam = boto3.client("iam", **kw)
    sm = boto3.client("secretsmanager", **kw)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in [("10.0.1.0/24", f"{REGION}a"), ("10.0.2.0/24", f"{REGION}c")]
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    web_sg = ec2.create_security_group(GroupName="wordpress-web", Description="WordPress web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": ADMIN_CIDR, "Description": "SSH from the admin network"}]},
    ])
    db_sg = ec2.create_security_group(GroupName="wordpress-db", Description="WordPress database", VpcId=vpc)["GroupId"]

    rds.create_db_subnet_group(DBSubnetGroupName="wordpress-db", DBSubnetGroupDescription="WordPress database",
                               SubnetIds=subnets)
    password = "demo-only-password"  # moto keeps it; a real database gets its password from the secret
    rds.create_db_instance(DBInstanceIdentifier="wordpress-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                           MasterUsername="wordpress", MasterUserPassword=password, DBName="wordpress",
                           AllocatedStorage=20, DBSubnetGroupName="wordpress-db", VpcSecurityGroupIds=[db_sg],
                           BackupRetentionPeriod=0)
    secret = sm.create_secret(Name="wordpress/db-password", SecretString=password)["ARN"]

    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="ecsInstanceRole")

    execution_role = create_execution_role(iam, secret)

    ec2.create_key_pair(KeyName="wordpress")

    tfvars = {
        "subnet_id": subnets[0],
        "web_security_group_id": web_sg,
        "instance_profile": "ecsInstanceRole",
        "key_name": "wordpress",
        "db_instance_identifier": "wordpress-db",
        "db_password_secret_arn": secret,
        "execution_role_arn": execution_role,
    }
    if production:
        # One container instance per subnet, so per Availability Zone.
        del tfvars["subnet_id"]
        extra, dns_name = create_production(kw, vpc, subnets, web_sg)
        tfvars = {"subnet_ids": subnets, **tfvars, **extra}
        print(f"the load balancer answers at http://{dns_name}/", file=sys.stderr)

    json.dump(tfvars, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
