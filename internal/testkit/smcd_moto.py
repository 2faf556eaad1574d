"""sagemaker-cd extension for moto_server: adds SageMaker UpdateEndpoint.

moto 5.x implements CreateEndpoint/DescribeEndpoint but not UpdateEndpoint. This file patches
moto's SageMaker backend before the server starts, so tests exercise the refresher over HTTP
against the same state machine real SageMaker follows:

* UpdateEndpoint on an endpoint that is not InService fails with ValidationException
  "Cannot update in-progress endpoint ..." (what SageMaker answers).
* UpdateEndpoint to an unknown endpoint config fails with ValidationException "Could not find ...".
* Otherwise the endpoint turns Updating for a fixed time, then InService on the new config.
* The duration is SMCD_MOTO_UPDATE_SECONDS (default 1.0), or per endpoint the tag
  "smcd:moto-update-seconds".
* Tag the endpoint "smcd:moto-fail-next-update" (any value) to make its next update fail: after
  the duration it rolls back to the old config, InService, with a FailureReason (as SageMaker does
  when a new fleet fails its health checks). The tag is consumed.
* Every UpdateEndpoint call is counted; DescribeEndpoint returns the count as the tag-free field
  moto ignores, so tests read it with ListTags: "smcd:moto-update-calls".

Run: python3 smcd_moto.py -H 127.0.0.1 -p PORT (same flags as moto_server).
"""

import os
import sys
import threading
import time

from moto.sagemaker import models as sm_models
from moto.sagemaker import responses as sm_responses
from moto.sagemaker.exceptions import ValidationError
from moto.core.responses import ActionResult, EmptyResult  # noqa: F401

_lock = threading.Lock()
_updates = {}  # endpoint arn -> dict(started, seconds, new_config, old_config, fail)
_calls = {}  # endpoint arn -> number of UpdateEndpoint calls that were accepted


def _tag(endpoint, key):
    for t in endpoint.tags or []:
        if t.get("Key") == key:
            return t.get("Value")
    return None


def _settle(endpoint):
    """Moves an Updating endpoint to its end state once its update time has passed."""
    with _lock:
        u = _updates.get(endpoint.arn)
        if u is None or time.monotonic() < u["started"] + u["seconds"]:
            return
        del _updates[endpoint.arn]
    if u["fail"]:
        endpoint.endpoint_config_name = u["old_config"]
        endpoint.failure_reason = (
            "Model container failed health checks on the new fleet; rolled back to "
            + u["old_config"]
        )
    else:
        endpoint.endpoint_config_name = u["new_config"]
        endpoint.failure_reason = None
        endpoint.production_variants = endpoint._process_production_variants(
            u["variants"]
        )
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = sm_models.utcnow()


def update_endpoint(self, endpoint_name, endpoint_config_name, retain_all, deployment_config):
    try:
        endpoint = self.endpoints[endpoint_name]
    except KeyError:
        arn = sm_models.FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    _settle(endpoint)
    if endpoint.endpoint_status != "InService":
        raise ValidationError(
            message=f"Cannot update in-progress endpoint '{endpoint.arn}'."
        )
    config = self.endpoint_configs.get(endpoint_config_name)
    if config is None:
        arn = sm_models.FakeEndpointConfig.arn_formatter(
            endpoint_config_name, self.account_id, self.region_name
        )
        raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
    seconds = float(
        _tag(endpoint, "smcd:moto-update-seconds")
        or os.environ.get("SMCD_MOTO_UPDATE_SECONDS", "1.0")
    )
    fail = _tag(endpoint, "smcd:moto-fail-next-update") is not None
    if fail:
        endpoint.tags = [t for t in endpoint.tags if t.get("Key") != "smcd:moto-fail-next-update"]
    with _lock:
        _updates[endpoint.arn] = {
            "started": time.monotonic(),
            "seconds": seconds,
            "new_config": endpoint_config_name,
            "old_config": endpoint.endpoint_config_name,
            "variants": config.production_variants,
            "fail": fail,
        }
        _calls[endpoint.arn] = _calls.get(endpoint.arn, 0) + 1
        calls = _calls[endpoint.arn]
    endpoint.tags = [t for t in endpoint.tags if t.get("Key") != "smcd:moto-update-calls"]
    endpoint.tags.append({"Key": "smcd:moto-update-calls", "Value": str(calls)})
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.last_deployment_config = deployment_config
    endpoint.last_modified_time = sm_models.utcnow()
    return endpoint


_orig_describe = sm_models.SageMakerModelBackend.describe_endpoint
_orig_list = sm_models.SageMakerModelBackend.list_endpoints


def describe_endpoint(self, endpoint_name):
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is not None:
        _settle(endpoint)
    return _orig_describe(self, endpoint_name)


def list_endpoints(self, *args, **kwargs):
    for endpoint in list(self.endpoints.values()):
        _settle(endpoint)
    return _orig_list(self, *args, **kwargs)


def response_update_endpoint(self):
    endpoint = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all=self._get_param("RetainAllVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


sm_models.SageMakerModelBackend.update_endpoint = update_endpoint
sm_models.SageMakerModelBackend.describe_endpoint = describe_endpoint
sm_models.SageMakerModelBackend.list_endpoints = list_endpoints
sm_responses.SageMakerResponse.update_endpoint = response_update_endpoint


# ---------------------------------------------------------------------------------------------
# Model registry (promotion). Owned by the promotion engineer; keep edits local to this section.
#
# moto 5.2.1's model registry lacks what cross-account promotion relies on. These patches make it
# behave like SageMaker for the calls smcd promote makes, and nothing else:
#
# * DescribeModelPackageGroup accepts a group ARN as well as a name (SageMaker does).
# * Reads by ARN across accounts (ListModelPackages with a group ARN, DescribeModelPackage and
#   DescribeModelPackageGroup with an ARN of another account) are answered from the owning
#   account, but only when that group has a resource policy (PutModelPackageGroupPolicy) whose
#   text names the caller's account id; otherwise AccessDeniedException, as in SageMaker.
# * Put/Get/DeleteModelPackageGroupPolicy are added (the policy lives on the group, so a reset
#   drops it with the group).
# * UpdateModelPackage no longer wipes CustomerMetadataProperties and ApprovalDescription when the
#   call does not pass them (moto set them to None).
# * CreateModelPackage keeps SkipModelValidation, SourceUri, ModelCard, ModelLifeCycle and
#   SecurityConfig and DescribeModelPackage returns them.
# * ListTags/AddTags/DeleteTags work on model package ARNs (model-package/<group>/<version>).
# ---------------------------------------------------------------------------------------------

import json as _json
import re as _re

from moto.core.exceptions import JsonRESTError as _JsonRESTError

_EXTRA_PACKAGE_FIELDS = {
    "SkipModelValidation": "skip_model_validation",
    "SourceUri": "source_uri",
    "ModelCard": "model_card",
    "ModelLifeCycle": "model_life_cycle",
    "SecurityConfig": "security_config",
}


class _AccessDenied(_JsonRESTError):
    def __init__(self, message):
        super().__init__("AccessDeniedException", message)


def _arn_parts(value):
    """Returns (account, region, resource) for a SageMaker ARN, or None for a plain name."""
    m = _re.match(r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):(.+)$", value or "")
    if not m:
        return None
    return m.group(2), m.group(1), m.group(3)


def _owner_backend(self, arn):
    """The backend that owns arn; checks the group resource policy for cross-account reads."""
    parts = _arn_parts(arn)
    if parts is None or parts[0] == self.account_id:
        return self
    account, region, resource = parts
    owner = sm_models.sagemaker_backends[account][region]
    group = owner.model_package_groups.get(resource.split("/")[1] if "/" in resource else "")
    policy = getattr(group, "smcd_resource_policy", None) or ""
    if self.account_id not in policy:
        raise _AccessDenied(
            f"User: arn:aws:iam::{self.account_id}:root is not authorized to read {arn} "
            "because no resource-based policy allows it"
        )
    return owner


_orig_describe_group = sm_models.SageMakerModelBackend.describe_model_package_group
_orig_list_packages = sm_models.SageMakerModelBackend.list_model_packages
_orig_describe_package = sm_models.SageMakerModelBackend.describe_model_package
_orig_update_package = sm_models.SageMakerModelBackend.update_model_package
_orig_create_package_response = sm_responses.SageMakerResponse.create_model_package
_orig_resource_from_arn = sm_models.SageMakerModelBackend._get_resource_from_arn
_orig_package_response_object = sm_models.ModelPackage.gen_response_object


def describe_model_package_group(self, model_package_group_name):
    owner = _owner_backend(self, model_package_group_name)
    if _arn_parts(model_package_group_name):
        model_package_group_name = model_package_group_name.split("/")[-1]
    return _orig_describe_group(owner, model_package_group_name)


def list_model_packages(self, *args, **kwargs):
    group = kwargs.get("model_package_group_name")
    owner = _owner_backend(self, group) if group else self
    return _orig_list_packages(owner, *args, **kwargs)


def describe_model_package(self, model_package_name):
    return _orig_describe_package(_owner_backend(self, model_package_name), model_package_name)


def update_model_package(self, model_package_arn, model_approval_status, approval_description,
                         customer_metadata_properties, customer_metadata_properties_to_remove,
                         additional_inference_specifications_to_add):
    mapped = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
    package = self.model_packages.get(mapped)
    if package is not None:
        if approval_description is None:
            approval_description = package.approval_description
        if customer_metadata_properties is None:
            customer_metadata_properties = dict(package.customer_metadata_properties or {})
        else:
            merged = dict(package.customer_metadata_properties or {})
            merged.update(customer_metadata_properties)
            customer_metadata_properties = merged
    return _orig_update_package(self, model_package_arn, model_approval_status,
                                approval_description, customer_metadata_properties,
                                customer_metadata_properties_to_remove or [],
                                additional_inference_specifications_to_add)


def response_create_model_package(self):
    result = _orig_create_package_response(self)
    arn = result.result["ModelPackageArn"]
    package = self.sagemaker_backend.model_packages.get(arn)
    if package is not None:
        for field, attr in _EXTRA_PACKAGE_FIELDS.items():
            setattr(package, attr, self._get_param(field))
    return result


def package_response_object(self):
    response = _orig_package_response_object(self)
    for field, attr in _EXTRA_PACKAGE_FIELDS.items():
        value = getattr(self, attr, None)
        if value is not None:
            response[field] = value
    return response


def _resource_from_arn(self, arn):
    parts = _arn_parts(arn)
    if parts and parts[2].startswith("model-package/"):
        package = self.model_packages.get(arn)
        if package is None:
            raise ValidationError(message=f"Could not find model-package with ARN {arn}")
        if package.tags is None:
            package.tags = []
        return package
    return _orig_resource_from_arn(self, arn)


def response_put_model_package_group_policy(self):
    name = self._get_param("ModelPackageGroupName")
    group = self.sagemaker_backend.describe_model_package_group(name)
    _json.loads(self._get_param("ResourcePolicy"))  # must be JSON, as in SageMaker
    group.smcd_resource_policy = self._get_param("ResourcePolicy")
    return ActionResult({"ModelPackageGroupArn": group.arn})


def response_get_model_package_group_policy(self):
    name = self._get_param("ModelPackageGroupName")
    group = self.sagemaker_backend.describe_model_package_group(name)
    policy = getattr(group, "smcd_resource_policy", None)
    if policy is None:
        raise ValidationError(message=f"Cannot find resource policy for {group.arn}")
    return ActionResult({"ResourcePolicy": policy})


def response_delete_model_package_group_policy(self):
    name = self._get_param("ModelPackageGroupName")
    group = self.sagemaker_backend.describe_model_package_group(name)
    group.smcd_resource_policy = None
    return EmptyResult()


sm_models.SageMakerModelBackend.describe_model_package_group = describe_model_package_group
sm_models.SageMakerModelBackend.list_model_packages = list_model_packages
sm_models.SageMakerModelBackend.describe_model_package = describe_model_package
sm_models.SageMakerModelBackend.update_model_package = update_model_package
sm_models.SageMakerModelBackend._get_resource_from_arn = _resource_from_arn
sm_models.ModelPackage.gen_response_object = package_response_object
sm_responses.SageMakerResponse.create_model_package = response_create_model_package
sm_responses.SageMakerResponse.put_model_package_group_policy = response_put_model_package_group_policy
sm_responses.SageMakerResponse.get_model_package_group_policy = response_get_model_package_group_policy
sm_responses.SageMakerResponse.delete_model_package_group_policy = response_delete_model_package_group_policy


# ---------------------------------------------------------------------------------------------
# DeleteModelPackage (package cleaner). Owned by the promote-pipeline engineer; keep edits local.
#
# moto 5.2.1 has no DeleteModelPackage. Like SageMaker, it takes a name or ARN, removes the package
# and answers ValidationException when the package does not exist. The group stays.
# ---------------------------------------------------------------------------------------------


def delete_model_package(self, model_package_name):
    arn = self.model_package_name_mapping.get(model_package_name, model_package_name)
    if arn not in self.model_packages:
        raise ValidationError(message=f"Model package {model_package_name} does not exist.")
    del self.model_packages[arn]
    for key in [k for k, v in self.model_package_name_mapping.items() if v == arn]:
        del self.model_package_name_mapping[key]


def response_delete_model_package(self):
    self.sagemaker_backend.delete_model_package(self._get_param("ModelPackageName"))
    return EmptyResult()


sm_models.SageMakerModelBackend.delete_model_package = delete_model_package
sm_responses.SageMakerResponse.delete_model_package = response_delete_model_package


# ---------------------------------------------------------------------------------------------
# S3 -> EventBridge events (refresh). Owned by the refresher engineer; keep edits local.
#
# moto 5.2.1 sends S3 EventBridge events with a constant "sequencer" (617f08299329d189) and a
# constant event "id". Real S3 sequencers grow with every change to a key, and the refresher
# uses them to drop duplicate and out-of-order deliveries, so with the constant value a second
# upload of the same key would look like a duplicate. This replaces moto's sender with the same
# event, except for an increasing 16-hex-digit sequencer and a fresh event id.
# ---------------------------------------------------------------------------------------------

import copy as _copy
import itertools as _itertools
import uuid as _uuid

from moto.core.utils import unix_time as _unix_time
from moto.s3 import notifications as _s3_notifications

_sequencer = _itertools.count(0x617F08299329D189)
_sequencer_lock = threading.Lock()


def _send_event_bridge_message(account_id, bucket, event_name, key):
    try:
        from moto.events.models import events_backends
        from moto.events.utils import _BASE_EVENT_MESSAGE

        with _sequencer_lock:
            sequencer = "%016X" % next(_sequencer)
        event = _copy.deepcopy(_BASE_EVENT_MESSAGE)
        event["id"] = str(_uuid.uuid4())
        event["detail-type"] = _s3_notifications._detail_type(event_name)
        event["source"] = "aws.s3"
        event["account"] = account_id
        event["time"] = _unix_time()
        event["region"] = bucket.region_name
        event["resources"] = [bucket.arn]
        obj = {"key": key.name, "sequencer": sequencer}
        if "ObjectCreated" in event_name:
            obj.update({"size": key.size, "etag": key.etag.replace('"', "")})
        if key.version_id and key.version_id != "null":
            obj["version-id"] = key.version_id
        event["detail"] = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": _uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject" if "ObjectCreated" in event_name else "DeleteObject",
        }
        events_backend = events_backends[account_id][bucket.region_name]
        for event_bus in events_backend.event_buses.values():
            for rule in event_bus.rules.values():
                rule.send_to_targets(event, transform_input=False)
    except Exception:  # noqa: BLE001 - asynchronous in AWS: never fail the S3 call
        pass


_s3_notifications._send_event_bridge_message = _send_event_bridge_message


# ---------------------------------------------------------------------------------------------
# S3 x-amz-copy-source-if-match (promotion --verify size). Owned by the promotion engineer; keep
# edits local to this section.
#
# moto 5.2.1 ignores x-amz-copy-source-if-match on CopyObject and on UploadPartCopy (it honours
# only x-amz-copy-source-if-none-match on CopyObject). S3 refuses such a copy with 412
# PreconditionFailed when the copy source's current ETag differs from the header (quoted or not),
# before writing anything. smcd promote pins every copy to the ETag it observed while planning,
# so a source overwritten between planning and copying fails instead of copying other bytes.
# This checks the header the way S3 does and otherwise leaves both handlers unchanged.
# ---------------------------------------------------------------------------------------------

from urllib.parse import parse_qs as _parse_qs
from urllib.parse import unquote as _unquote
from urllib.parse import urlparse as _urlparse

from moto.s3 import responses as _s3_responses
from moto.s3.exceptions import PreconditionFailed as _PreconditionFailed


def _check_copy_source_if_match(response):
    want = response.headers.get("x-amz-copy-source-if-match")
    if not want:
        return
    source = response.headers.get("x-amz-copy-source")
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    parsed = _urlparse(source or "")
    bucket, _, key = _unquote(parsed.path).lstrip("/").partition("/")
    version = _parse_qs(parsed.query).get("versionId", [None])[0]
    obj = response.backend.get_object(bucket, key, version_id=version)
    if obj is None:
        return  # moto's handler answers NoSuchKey / NoSuchVersion as before
    if want.strip('"') != obj.etag.strip('"'):
        raise _PreconditionFailed("x-amz-copy-source-If-Match")


_orig_s3_copy_object = _s3_responses.S3Response.copy_object
_orig_s3_upload_part_copy = _s3_responses.S3Response.upload_part_copy


def _s3_copy_object(self):
    _check_copy_source_if_match(self)
    return _orig_s3_copy_object(self)


def _s3_upload_part_copy(self):
    _check_copy_source_if_match(self)
    return _orig_s3_upload_part_copy(self)


_s3_responses.S3Response.copy_object = _s3_copy_object
_s3_responses.S3Response.upload_part_copy = _s3_upload_part_copy


# ---------------------------------------------------------------------------------------------
# Cross-account copies keep tags; cross-account ListTags on model packages is denied (promotion).
# Owned by the promotion engineer; keep edits local to this section.
#
# * moto 5.2.1 keeps object tags in a tagger per account, and CopyObject copies them with the
#   destination account's tagger, so a copy from another account's bucket lost its tags. S3
#   copies the source version's tags (TaggingDirective COPY, the default): this copies them from
#   the source object's own account after moto's handler ran.
# * SageMaker ListTags on a model package of another account is refused with
#   AccessDeniedException (model package group resource policies grant the registry reads, and
#   smcd promote treats the tags as optional); moto looked the ARN up in the caller's own account
#   and answered "Could not find model-package".
# ---------------------------------------------------------------------------------------------

from moto.s3 import models as _s3_models

_orig_s3_backend_copy_object = _s3_models.S3Backend.copy_object


def _s3_backend_copy_object(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs):
    result = _orig_s3_backend_copy_object(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs)
    owner = _s3_models.s3_backends[src_key.account_id][src_key.partition]
    if owner is not self:
        tags = owner.tagger.list_tags_for_resource(src_key.arn)["Tags"]
        new_key = self.get_object(dest_bucket_name, dest_key_name)
        if tags and new_key is not None:
            self.tagger.tag_resource(new_key.arn, tags)
    return result


_s3_models.S3Backend.copy_object = _s3_backend_copy_object

_orig_response_list_tags = sm_responses.SageMakerResponse.list_tags


def _response_list_tags(self):
    arn = self._get_param("ResourceArn")
    parts = _arn_parts(arn)
    account = self.sagemaker_backend.account_id
    if parts and parts[0] != account and parts[2].startswith("model-package/"):
        raise _AccessDenied(
            f"User: arn:aws:iam::{account}:root is not authorized to perform: sagemaker:ListTags on resource: {arn}"
        )
    return _orig_response_list_tags(self)


sm_responses.SageMakerResponse.list_tags = _response_list_tags


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
