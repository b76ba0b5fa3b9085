"""Prints template.yaml as CloudFormation JSON, transformed by AWS's own SAM translator (the code `sam deploy`
and CloudFormation's AWS::Serverless transform run), offline: managed policy names resolve through the map the
translator ships, not through IAM. Used by the IAM test (tests/iamPolicies.test.ts)."""

import json
import os
import sys

from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

# The translator reads the region from a boto3 session (the environment); no credentials or network are used.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
parameters = dict(arg.split("=", 1) for arg in sys.argv[2:])
with open(path, encoding="utf-8") as f:
    template = yaml_parse(f.read())
# What `sam package` does first: local code folders become S3 objects, and the state machine's definition file is
# read in (so its DefinitionSubstitutions are applied by the translator, as on deploy).
base = os.path.dirname(os.path.abspath(path))
for logical_id, resource in template.get("Resources", {}).items():
    props = resource.get("Properties", {})
    for key in ("CodeUri", "ContentUri"):
        if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = f"s3://landfall-artifacts/{logical_id}.zip"
    if isinstance(props.get("DefinitionUri"), str) and not props["DefinitionUri"].startswith("s3://"):
        with open(os.path.join(base, props.pop("DefinitionUri")), encoding="utf-8") as f:
            props["Definition"] = json.load(f)
parameters.setdefault("AWS::Region", "us-east-1")
parameters.setdefault("AWS::Partition", "aws")
parameters.setdefault("AWS::AccountId", "123456789012")
cfn = Translator(None, Parser()).translate(
    template,
    parameter_values=parameters,
    get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws"),
)
json.dump(cfn, sys.stdout, indent=1, default=str)
