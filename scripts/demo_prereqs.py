"""Creates, in a local moto endpoint, the pieces the walkthrough assumes already exist in the AWS
account, and prints them as a terraform.tfvars.json for examples/wordpress:

- a VPC with two subnets in two availability zones (the database's VPC, where the instances go),
- the web security group (HTTP 80 from anywhere, SSH 22 from the admin CIDR),
- the database security group and DB subnet group, and a MySQL RDS instance,
- the IAM role and instance profile container instances use (ecsInstanceRole),
- the task execution role ECS uses to fetch the secret when a task starts (ecsTaskExecutionRole),
- an EC2 key pair,
- a Secrets Manager secret holding the database password.

Against a real account these already exist and you write their ids into terraform.tfvars yourself.

Usage: python demo_prereqs.py ENDPOINT_URL > terraform.tfvars.json
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError

REGION = "ap-northeast-1"
ADMIN_CIDR = "203.0.113.0/24"
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


def main():
    endpoint = sys.argv[1]
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

    json.dump({
        "subnet_id": subnets[0],
        "web_security_group_id": web_sg,
        "instance_profile": "ecsInstanceRole",
        "key_name": "wordpress",
        "db_instance_identifier": "wordpress-db",
        "db_password_secret_arn": secret,
        "execution_role_arn": execution_role,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
