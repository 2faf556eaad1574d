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
* While an UpdateEndpoint runs, DescribeEndpoint shows PendingDeploymentSummary with the target
  EndpointConfigName (EndpointConfigName stays the current config), as SageMaker documents.
* Tag the endpoint "smcd:moto-refuse-next-update" with an error code (ResourceLimitExceeded,
  AccessDeniedException, ValidationException) to make its next UpdateEndpoint answer that error
  (HTTP 400) without changing anything, as SageMaker refuses an update it cannot place. Consumed.
* UpdateEndpointWeightsAndCapacities (what Application Auto Scaling calls) keeps the endpoint
  Updating on the same config for the update duration, without a PendingDeploymentSummary, and
  refuses with "Cannot update in-progress endpoint" when it is not InService (moto answered at
  once, InService).

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
    endpoint.pending_deployment_summary = None
    if u.get("weights_only"):
        pass
    elif u["fail"]:
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
    refuse = _tag(endpoint, "smcd:moto-refuse-next-update")
    if refuse is not None:
        endpoint.tags = [t for t in endpoint.tags if t.get("Key") != "smcd:moto-refuse-next-update"]
        raise _Refused(refuse, f"The emulator refuses this update of '{endpoint.arn}' (smcd:moto-refuse-next-update).")
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
    endpoint.pending_deployment_summary = {
        "EndpointConfigName": endpoint_config_name,
        "StartTime": sm_models.utcnow(),
    }
    endpoint.last_deployment_config = deployment_config
    endpoint.last_modified_time = sm_models.utcnow()
    return endpoint


from moto.core.exceptions import JsonRESTError as _UpdateJsonRESTError  # noqa: E402


class _Refused(_UpdateJsonRESTError):
    """An UpdateEndpoint refusal with SageMaker's error code, HTTP 400."""

    def __init__(self, code, message):
        super().__init__(code, message)


_orig_weights = sm_models.SageMakerModelBackend.update_endpoint_weights_and_capacities


def update_endpoint_weights_and_capacities(self, endpoint_name, desired_weights_and_capacities):
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is not None:
        _settle(endpoint)
        if endpoint.endpoint_status != "InService":
            raise ValidationError(message=f"Cannot update in-progress endpoint '{endpoint.arn}'.")
    arn = _orig_weights(self, endpoint_name, desired_weights_and_capacities)
    seconds = float(
        _tag(endpoint, "smcd:moto-update-seconds")
        or os.environ.get("SMCD_MOTO_UPDATE_SECONDS", "1.0")
    )
    with _lock:
        _updates[endpoint.arn] = {
            "started": time.monotonic(),
            "seconds": seconds,
            "new_config": endpoint.endpoint_config_name,
            "old_config": endpoint.endpoint_config_name,
            "fail": False,
            "weights_only": True,
        }
    endpoint.endpoint_status = "Updating"
    endpoint.last_modified_time = sm_models.utcnow()
    return arn


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
sm_models.SageMakerModelBackend.update_endpoint_weights_and_capacities = update_endpoint_weights_and_capacities
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
    # SageMaker writes names lower-cased in ARNs; match the group whatever its given case.
    wanted = (resource.split("/")[1] if "/" in resource else "").lower()
    group = next((g for n, g in owner.model_package_groups.items() if n.lower() == wanted), None)
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
# S3 -> EventBridge events (refresh). Owned by the events engineer; keep edits local.
#
# moto 5.2.1's S3 EventBridge events differ from what S3 sends ("EventBridge event message
# structure", https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html):
# * a constant "sequencer" (617f08299329d189) and event "id": real sequencers grow with every
#   change to a key, and the refresher drops duplicates by them, so a second upload of a key
#   would look like a duplicate. Here: an increasing 16-hex-digit sequencer, a fresh id.
# * "reason" is the event name's middle part ("ObjectCreated", "ObjectRemoved"), "eTag" is
#   misspelt, deletions carry size and ETag, and there is no "deletion-type". Here, as S3 does:
#   reason PutObject, POST Object, CopyObject or CompleteMultipartUpload (Object Created),
#   DeleteObject or Lifecycle Expiration with deletion-type "Permanently Deleted" or "Delete
#   Marker Created" (Object Deleted); "etag" and "size" on creations only.
# * a DeleteObject on a versioned bucket sends nothing when it creates a delete marker or deletes
#   one version of several. Here it sends "Object Deleted" with the matching deletion-type.
# * CompleteMultipartUpload also sends a PutObject "Object Created" (moto stores the object with
#   put_object), and every PutObject, CopyObject and multipart completion sends "Object Tags
#   Added". S3 sends one Object Created per upload, and Object Tags Added for PutObjectTagging.
# * A bucket tagged "smcd:moto-event-key" = "form" gets detail.object.key form-encoded, as
#   classic S3 notifications encode it (AWS does not document which EventBridge uses; the
#   refresher takes both). Any other bucket gets the key as is.
# ---------------------------------------------------------------------------------------------

import copy as _copy
import itertools as _itertools
import uuid as _uuid
from urllib.parse import quote_plus as _quote_plus

from moto.core.utils import unix_time as _unix_time
from moto.s3 import models as _s3_models
from moto.s3 import notifications as _s3_notifications
from moto.s3 import responses as _s3_responses

_sequencer = _itertools.count(0x617F08299329D189)
_sequencer_lock = threading.Lock()

_N = _s3_notifications.S3NotificationEvent
_REASONS = {
    _N.OBJECT_CREATED_PUT_EVENT: ("PutObject", None),
    _N.OBJECT_CREATED_POST_EVENT: ("POST Object", None),
    _N.OBJECT_CREATED_COPY_EVENT: ("CopyObject", None),
    _N.OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD_EVENT: ("CompleteMultipartUpload", None),
    _N.OBJECT_REMOVED_DELETE_EVENT: ("DeleteObject", "Permanently Deleted"),
    _N.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT: ("DeleteObject", "Delete Marker Created"),
    _N.LIFECYCLEEXPIRATION_DELETE_EVENT: ("Lifecycle Expiration", "Permanently Deleted"),
    _N.LIFECYCLE_EXPIRATION_DELETE_MARKER_CREATED_EVENT: ("Lifecycle Expiration", "Delete Marker Created"),
}


_s3_events_local = threading.local()  # .suppress: event names not to send; .tagging_api: in PutObjectTagging


def _event_key(account_id, bucket, name):
    try:
        from moto.utilities.utils import get_partition

        backend = _s3_models.s3_backends[account_id][get_partition(bucket.region_name)]
        if backend.tagger.get_tag_dict_for_resource(bucket.arn).get("smcd:moto-event-key") == "form":
            return _quote_plus(name, safe="/~")
    except Exception:  # noqa: BLE001 - no tags: the key as is
        pass
    return name


def _suppressed(event_name):
    if event_name in getattr(_s3_events_local, "suppress", ()):
        return True
    return event_name == _N.OBJECT_TAGGING_PUT_EVENT and not getattr(_s3_events_local, "tagging_api", False)


def _send_event_bridge_message(account_id, bucket, event_name, key):
    try:
        from moto.events.models import events_backends
        from moto.events.utils import _BASE_EVENT_MESSAGE

        if _suppressed(event_name):
            return
        reason, deletion_type = _REASONS.get(event_name, (None, None))
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
        obj = {"key": _event_key(account_id, bucket, key.name), "sequencer": sequencer}
        if "ObjectCreated" in event_name:
            obj = {"key": obj["key"], "size": key.size, "etag": key.etag.replace('"', ""), "sequencer": sequencer}
        if key.version_id and key.version_id != "null":
            obj["version-id"] = key.version_id
        detail = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": _uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": reason or event_name.split(":")[1],
        }
        if deletion_type:
            detail["deletion-type"] = deletion_type
        event["detail"] = detail
        events_backend = events_backends[account_id][bucket.region_name]
        for event_bus in events_backend.event_buses.values():
            for rule in list(event_bus.rules.values()):
                try:
                    rule.send_to_targets(_copy.deepcopy(event), transform_input=False)
                except Exception:  # noqa: BLE001 - one rule's broken target must not starve the others
                    pass
    except Exception:  # noqa: BLE001 - asynchronous in AWS: never fail the S3 call
        pass


_s3_notifications._send_event_bridge_message = _send_event_bridge_message

# moto gives a rule with only a ScheduleExpression an empty pattern, which matches every event,
# so a schedule rule (the refresher's reconcile schedule, targeting a Lambda function moto does
# not run) received S3 events and PutEvents entries and failed on its target. In EventBridge a
# scheduled rule matches no event.
from moto.events import models as _events_models

_events_rule_send_to_targets = _events_models.Rule.send_to_targets


def _events_rule_send_to_targets_unless_scheduled(self, original_event, transform_input=True):
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return None
    return _events_rule_send_to_targets(self, original_event, transform_input)


_events_models.Rule.send_to_targets = _events_rule_send_to_targets_unless_scheduled

# moto delivers PutEvents entries to targets through a default input template that leaves out
# the envelope's "account"; EventBridge delivers the whole event. Put it back.
from moto.events import utils as _events_utils

_events_utils.EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", "account": "<account>", '
    '"time": <time>, "region": "<region>", "resources": <resources>, "detail": <detail>}'
)

_s3_delete_object = _s3_models.S3Backend.delete_object


def _notify(account_id, event_name, bucket, key):
    try:
        _s3_notifications.send_event(account_id, event_name, bucket, key)
    except Exception:  # noqa: BLE001 - asynchronous in AWS: never fail the S3 call
        pass


def _s3_backend_delete_object(self, bucket_name, key_name, version_id=None, bypass=False):
    # moto notifies only when the last version of a key goes; S3 notifies every deletion.
    bucket = self.get_bucket(bucket_name)
    before = list(bucket.keys.getlist(key_name, [])) if getattr(bucket, "is_versioned", False) else None
    ok, meta = _s3_delete_object(self, bucket_name, key_name, version_id, bypass)
    if not ok or before is None:
        return ok, meta
    after = bucket.keys.getlist(key_name, [])
    if version_id is None and meta.get("delete-marker") == "true":
        marker = next((k for k in after if str(k.version_id) == str(meta.get("version-id"))), None)
        if marker is not None:
            _notify(self.account_id, _N.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT, bucket, marker)
    elif version_id is not None and after:
        gone = next((k for k in before if str(k.version_id) == str(version_id)), None)
        if gone is not None:
            event = _N.OBJECT_REMOVED_DELETE_EVENT
            if isinstance(gone, _s3_models.FakeDeleteMarker):
                event = None  # deleting a delete marker restores the object: S3 sends no Object Deleted
            if event is not None:
                _notify(self.account_id, event, bucket, gone)
    return ok, meta


_s3_models.S3Backend.delete_object = _s3_backend_delete_object

_s3_complete_multipart_upload = _s3_models.S3Backend.complete_multipart_upload


def _s3_backend_complete_multipart_upload(self, *args, **kwargs):
    _s3_events_local.suppress = (_N.OBJECT_CREATED_PUT_EVENT,)
    try:
        return _s3_complete_multipart_upload(self, *args, **kwargs)
    finally:
        _s3_events_local.suppress = ()


_s3_models.S3Backend.complete_multipart_upload = _s3_backend_complete_multipart_upload

_s3_response_put_object_tagging = _s3_responses.S3Response.put_object_tagging


def _s3_response_put_object_tagging_api(self, *args, **kwargs):
    _s3_events_local.tagging_api = True
    try:
        return _s3_response_put_object_tagging(self, *args, **kwargs)
    finally:
        _s3_events_local.tagging_api = False


_s3_responses.S3Response.put_object_tagging = _s3_response_put_object_tagging_api


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


# ---------------------------------------------------------------------------------------------
# Requests validated against the AWS service model; model-registry idempotency (emulator
# fidelity). Owned by the emulator engineer; keep edits local to this section.
#
# moto accepts requests that AWS refuses. A WSGI middleware in front of moto's app checks every
# request to the services the project calls against botocore's service model (the model the AWS
# SDKs are generated from, installed with moto): required members, string lengths, patterns
# (whole value), enums, numeric ranges, list and map sizes, recursively. A violation is answered
# as AWS does: HTTP 400 ValidationException naming the member (JSON protocols), ValidationError
# (query protocols), or S3's own error codes (KeyTooLongError, InvalidBucketName,
# InvalidArgument, InvalidStorageClass, InvalidRequest). Patterns Python cannot compile are
# reported once on stderr and not checked. SMCD_MOTO_VALIDATE=0 turns the middleware off.
#
# Hooks: add_request_hook(fn) registers fn(request) called for every validated request before
# moto handles it, with a RequestInfo (service, operation, protocol, params, environ).
#
# Model registry:
# * CreateModelPackage is idempotent on ClientToken: a second call with a token already used in
#   the account answers the first call's ModelPackageArn and creates nothing.
# * CreateModelPackageGroup on an existing name fails with ValidationException
#   "Model Package Group already exists: <arn>" (moto replaced the group silently).
# ---------------------------------------------------------------------------------------------

import base64 as _base64
import io as _io
import json as _vjson
import uuid as _vuuid
import xml.etree.ElementTree as _ET
from urllib.parse import parse_qsl as _parse_qsl

import botocore.session as _botocore_session

_VALIDATED_SERVICES = (
    "sagemaker", "s3", "dynamodb", "sqs", "events", "sts", "kms", "cloudformation", "codepipeline",
)
_S3_MAX_KEY_BYTES = 1024
_S3_MAX_PART_NUMBER = 10000
_S3_MAX_COPY_SOURCE = 5 * 1024 * 1024 * 1024

_botocore = _botocore_session.get_session()
_models = {}  # service name -> botocore ServiceModel
_model_lock = threading.Lock()
_patterns = {}  # pattern text -> compiled pattern, or None when it cannot be compiled
_request_hooks = []


class RequestInfo:
    """One AWS request as the validator understood it, for request hooks."""

    def __init__(self, service, operation, protocol, params, environ):
        self.service = service  # botocore service name, such as "sagemaker"
        self.operation = operation  # operation name, such as "CreateModelPackage"
        self.protocol = protocol  # "json", "query" or "rest-xml"
        self.params = params  # the input members, keyed by member name
        self.environ = environ  # the WSGI environ (headers, path, query)


def add_request_hook(fn):
    """Registers fn(RequestInfo), called for every validated request before moto handles it."""
    _request_hooks.append(fn)


def _model(service):
    with _model_lock:
        if service not in _models:
            _models[service] = _botocore.get_service_model(service)
        return _models[service]


def _json_targets():
    targets = {}
    for name in _VALIDATED_SERVICES:
        prefix = _model(name).metadata.get("targetPrefix")
        if prefix:
            targets[prefix] = name
    return targets


_TARGETS = _json_targets()
_SIGNING = {_model(n).signing_name: n for n in _VALIDATED_SERVICES}


def _log(message):
    print("smcd_moto: " + message, file=sys.stderr, flush=True)


def _compile(pattern):
    """Compiles a model pattern (Java syntax, ASCII classes as in Java); logs once if it cannot."""
    if pattern in _patterns:
        return _patterns[pattern]
    compiled = None
    try:
        compiled = _re.compile(pattern, _re.ASCII)
    except _re.error as err:
        try:
            import regex as _regex  # handles \p{L} and other Unicode classes Java knows

            compiled = _regex.compile(pattern, _regex.ASCII | _regex.V0)
            _log(f"pattern {pattern!r} is not Python re syntax ({err}); checked with the regex module")
        except Exception as err2:  # noqa: BLE001 - the regex module may be missing too
            _log(f"pattern {pattern!r} cannot be compiled ({err}; {err2}); values are not checked against it")
    _patterns[pattern] = compiled
    return compiled


def _lower_first(name):
    return name[:1].lower() + name[1:]


def _render(value):
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(v).strip("'") for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v).strip(chr(39))}" for k, v in value.items()) + "}"
    text = str(value)
    if len(text) > 512:
        text = text[:512] + "..."
    return f"'{text}'"


def _check(shape, value, path, errors):
    """Appends (path, value, constraint) for every violation of shape by value."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append((_join(path, name), None, "Member must not be null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(path, name), errors)
        return
    if kind == "list":
        if not isinstance(value, list):
            return
        _size(meta, len(value), value, path, errors)
        for i, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{path}.{i}.member", errors)
        return
    if kind == "map":
        if not isinstance(value, dict):
            return
        _size(meta, len(value), value, path, errors)
        for k, v in value.items():
            _check(shape.key, k, f"{path}.{k}.key", errors)
            if v is not None:
                _check(shape.value, v, f"{path}.{k}.member", errors)
        return
    if kind == "string":
        if not isinstance(value, str):
            return
        _size(meta, len(value), value, path, errors)
        if "enum" in meta and value not in meta["enum"]:
            errors.append((path, value, "Member must satisfy enum value set: [" + ", ".join(meta["enum"]) + "]"))
        if "pattern" in meta:
            compiled = _compile(meta["pattern"])
            if compiled is not None and compiled.fullmatch(value) is None:
                errors.append((path, value, "Member must satisfy regular expression pattern: " + meta["pattern"]))
        return
    if kind in ("integer", "long", "float", "double"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return
        if "min" in meta and number < meta["min"]:
            errors.append((path, value, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and number > meta["max"]:
            errors.append((path, value, f"Member must have value less than or equal to {meta['max']}"))
        return
    if kind == "blob" and isinstance(value, str):
        try:
            size = len(_base64.b64decode(value, validate=True))
        except Exception:  # noqa: BLE001 - not base64: S3 payloads and the like
            return
        _size(meta, size, "<blob>", path, errors)


def _size(meta, size, value, path, errors):
    if "min" in meta and size < meta["min"]:
        errors.append((path, value, f"Member must have length greater than or equal to {meta['min']}"))
    if "max" in meta and size > meta["max"]:
        errors.append((path, value, f"Member must have length less than or equal to {meta['max']}"))


def _join(path, name):
    return _lower_first(name) if not path else f"{path}.{_lower_first(name)}"


def _message(errors):
    n = len(errors)
    head = f"{n} validation error{'s' if n != 1 else ''} detected: "
    return head + "; ".join(
        f"Value {_render(v)} at '{p}' failed to satisfy constraint: {c}" for p, v, c in errors[:10]
    )


# --- request parsing per protocol ---


def _query_value(shape, params, prefix):
    """Rebuilds the value of shape from flattened query parameters (awsQuery serialization)."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            v = _query_value(member, params, f"{prefix}.{key}" if prefix else key)
            if v is not None:
                out[name] = v
        return out if (out or not prefix) else None
    if kind == "list":
        if prefix in params and params[prefix] == "":
            return []
        flat = shape.serialization.get("flattened")
        item = shape.member.serialization.get("name", "member")
        base = prefix if flat else f"{prefix}.{item}"
        items, i = [], 1
        while any(k == f"{base}.{i}" or k.startswith(f"{base}.{i}.") for k in params):
            items.append(_query_value(shape.member, params, f"{base}.{i}"))
            i += 1
        return items if items else None
    if kind == "map":
        flat = shape.serialization.get("flattened")
        base = prefix if flat else f"{prefix}.entry"
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        out, i = {}, 1
        while f"{base}.{i}.{kname}" in params:
            out[params[f"{base}.{i}.{kname}"]] = _query_value(shape.value, params, f"{base}.{i}.{vname}")
            i += 1
        return out if out else None
    return params.get(prefix)


def _xml_value(shape, elem):
    """Rebuilds the value of shape from an XML element (restXml payloads)."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        children = list(elem)
        for name, member in shape.members.items():
            tag = member.serialization.get("name", name)
            matching = [c for c in children if c.tag.split("}")[-1] == tag]
            if not matching:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                out[name] = [_xml_value(member.member, c) for c in matching]
            else:
                out[name] = _xml_value(member, matching[0])
        return out
    if kind == "list":
        return [_xml_value(shape.member, c) for c in elem]
    return elem.text or ""


def _s3_routes():
    routes = []
    model = _model("s3")
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http["requestUri"]
        path, _, query = uri.partition("?")
        literals = {}
        for part in query.split("&") if query else []:
            k, _, v = part.partition("=")
            if not v.startswith("{"):
                literals[k] = v
        shape = op.input_shape
        required = []
        if shape is not None:
            for m in shape.required_members:
                loc = shape.members[m].serialization.get("location")
                if loc in ("header", "querystring"):
                    required.append((loc, shape.members[m].serialization["name"]))
        routes.append((op.http["method"], "{Key+}" in path, path.strip("/") == "", literals, required, name))
    return routes


_S3_ROUTES = None


def _s3_operation(method, has_key, root, query, headers):
    global _S3_ROUTES
    if _S3_ROUTES is None:
        _S3_ROUTES = _s3_routes()
    xid = query.get("x-id")
    if xid and xid in _model("s3").operation_names:
        return xid
    best, best_score = None, -1
    for m, key, is_root, literals, required, name in _S3_ROUTES:
        if m != method or key != has_key or is_root != root:
            continue
        if any(k not in query or (v and query[k] != v) for k, v in literals.items()):
            continue
        present = 0
        for loc, wire in required:
            if (headers if loc == "header" else query).get(wire.lower() if loc == "header" else wire) is None:
                break
            present += 1
        else:
            score = 100 * len(literals) + present
            if score > best_score:
                best, best_score = name, score
    return best


def _s3_params(op, environ, query, headers, bucket, key, body):
    params = {}
    shape = op.input_shape
    if shape is None:
        return params
    for name, member in shape.members.items():
        ser = member.serialization
        loc = ser.get("location")
        wire = ser.get("name", name)
        value = None
        if loc == "uri":
            value = bucket if wire == "Bucket" else key if wire.startswith("Key") else None
        elif loc == "querystring":
            value = query.get(wire)
        elif loc == "header":
            value = headers.get(wire.lower())
        elif loc == "headers":
            prefix = wire.lower()
            found = {h[len(prefix):]: v for h, v in headers.items() if h.startswith(prefix)}
            value = found or None
        elif shape.serialization.get("payload") == name and member.type_name == "structure" and body:
            try:
                value = _xml_value(member, _ET.fromstring(body))
            except _ET.ParseError:
                value = None
        elif shape.serialization.get("payload") == name and member.type_name == "string" and body:
            # A raw string payload (PutBucketPolicy's Policy) is the request body.
            value = body.decode("utf-8", "replace")
        if value is not None and member.type_name in ("integer", "long"):
            try:
                value = int(value)
            except ValueError:
                pass
        if value is not None:
            params[name] = value
    return params


# --- errors ---


def _request_id():
    return _vuuid.uuid4().hex[:16].upper()


def _json_error(start_response, code, message, status="400 Bad Request"):
    body = _vjson.dumps({"__type": code, "message": message}).encode()
    start_response(status, [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-RequestId", _request_id()),
        ("x-amzn-ErrorType", code),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def _xml_escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _query_error(start_response, code, message):
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{_xml_escape(message)}</Message></Error>"
        f"<RequestId>{_request_id()}</RequestId></ErrorResponse>"
    ).encode()
    start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _s3_error(start_response, code, message, extra=None):
    fields = "".join(f"<{k}>{_xml_escape(v)}</{k}>" for k, v in (extra or {}).items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{_xml_escape(message)}</Message>{fields}"
        f"<RequestId>{_request_id()}</RequestId></Error>"
    ).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/xml"), ("x-amz-request-id", _request_id()), ("Content-Length", str(len(body))),
    ])
    return [body]


class _S3Refusal(Exception):
    def __init__(self, code, message, extra=None):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


_IPV4 = _re.compile(r"\d{1,3}(\.\d{1,3}){3}")


def _check_bucket_name(name):
    """S3's general purpose bucket naming rules."""
    ok = (
        3 <= len(name) <= 63
        and _re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name) is not None
        and ".." not in name
        and _IPV4.fullmatch(name) is None
        and not name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )
    if not ok:
        raise _S3Refusal("InvalidBucketName", "The specified bucket is not valid.", {"BucketName": name})


def _check_s3(operation, op, params, headers):
    """S3's own refusals, before the generic model check (S3 answers with its own codes)."""
    key = params.get("Key")
    if key is not None and len(key.encode("utf-8")) > _S3_MAX_KEY_BYTES:
        raise _S3Refusal("KeyTooLongError", "Your key is too long",
                         {"Size": len(key.encode("utf-8")), "MaxSizeAllowed": _S3_MAX_KEY_BYTES})
    if operation == "CreateBucket":
        _check_bucket_name(params.get("Bucket", ""))
    if operation in ("UploadPart", "UploadPartCopy"):
        part = params.get("PartNumber")
        if not isinstance(part, int) or not 1 <= part <= _S3_MAX_PART_NUMBER:
            raise _S3Refusal("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
                             {"ArgumentName": "partNumber", "ArgumentValue": part})
    if operation == "CompleteMultipartUpload":
        for p in (params.get("MultipartUpload") or {}).get("Parts") or []:
            n = p.get("PartNumber")
            if not str(n).isdigit() or not 1 <= int(n) <= _S3_MAX_PART_NUMBER:
                raise _S3Refusal("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
                                 {"ArgumentName": "partNumber", "ArgumentValue": n})
    copy_range = headers.get("x-amz-copy-source-range")
    if operation == "UploadPartCopy" and copy_range:
        m = _re.fullmatch(r"bytes=(\d+)-(\d+)", copy_range)
        if m is None or int(m.group(2)) < int(m.group(1)):
            raise _S3Refusal("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                             {"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": copy_range})
        if int(m.group(2)) - int(m.group(1)) + 1 > _S3_MAX_COPY_SOURCE:
            raise _S3Refusal("InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
    storage = params.get("StorageClass")
    if storage is not None and storage not in op.input_shape.members["StorageClass"].metadata.get("enum", []):
        raise _S3Refusal("InvalidStorageClass", "The storage class you specified is not valid", {"StorageClassRequested": storage})
    errors = []
    _check(op.input_shape, params, "", errors)
    if errors:
        path, value, constraint = errors[0]
        member = op.input_shape.members.get(path[:1].upper() + path[1:].split(".")[0])
        wire = member.serialization.get("name", path) if member is not None else path
        if constraint == "Member must not be null":
            raise _S3Refusal("InvalidRequest", f"Missing required header for this request: {wire}")
        if constraint.startswith("Member must satisfy enum") and member is not None:
            directive = {"x-amz-metadata-directive": "Unknown metadata directive.",
                         "x-amz-tagging-directive": "Unknown tagging directive."}.get(wire)
            raise _S3Refusal("InvalidArgument", directive or f"Invalid value for {wire}: {value}",
                             {"ArgumentName": wire, "ArgumentValue": value})
        raise _S3Refusal("InvalidArgument", _message(errors), {"ArgumentName": wire, "ArgumentValue": value})


def _read_body(environ):
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length.isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = _io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _headers(environ):
    out = {}
    for k, v in environ.items():
        if k.startswith("HTTP_"):
            out[k[5:].replace("_", "-").lower()] = v
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    return out


_CREDENTIAL = _re.compile(r"Credential=[^/\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def _signing_service(environ, query):
    m = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "")) or _CREDENTIAL.search(
        "Credential=" + query.get("X-Amz-Credential", ""))
    return m.group(1) if m else None


def _validate(environ, start_response):
    """Returns a WSGI answer for a refused request, or None to let moto handle it."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    query = dict(_parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    headers = _headers(environ)
    target = headers.get("x-amz-target")
    if target:
        prefix, _, operation = target.rpartition(".")
        service = _TARGETS.get(prefix)
        if service is None:
            return None
        model = _model(service)
        if operation not in model.operation_names:
            return None
        op = model.operation_model(operation)
        body = _read_body(environ)
        try:
            params = _vjson.loads(body or b"{}")
        except ValueError:
            return _json_error(start_response, "SerializationException", "Could not parse the request body as JSON")
        errors = []
        if op.input_shape is not None:
            _check(op.input_shape, params, "", errors)
        if errors:
            code = "ValidationException"
            return _json_error(start_response, code, _message(errors))
        _run_hooks(RequestInfo(service, operation, "json", params, environ))
        return None
    service = _SIGNING.get(_signing_service(environ, query) or "")
    if service is None:
        return None
    model = _model(service)
    if model.protocol == "query":
        form = dict(query)
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form.update(_parse_qsl(_read_body(environ).decode("utf-8"), keep_blank_values=True))
        operation = form.get("Action")
        if operation not in model.operation_names:
            return None
        op = model.operation_model(operation)
        params = _query_value(op.input_shape, form, "") if op.input_shape is not None else {}
        errors = []
        if op.input_shape is not None:
            _check(op.input_shape, params, "", errors)
        if errors:
            return _query_error(start_response, "ValidationError", _message(errors))
        _run_hooks(RequestInfo(service, operation, "query", params, environ))
        return None
    if service != "s3":
        return None
    host = headers.get("host", "").rsplit(":", 1)[0]
    if not (_IPV4.fullmatch(host) or host == "localhost"):
        return None  # virtual-hosted style: not used by the project's clients
    raw = path.lstrip("/").encode("latin-1").decode("utf-8", "replace")  # PEP 3333 latin-1 bytes
    bucket, sep, key = raw.partition("/")
    method = environ.get("REQUEST_METHOD", "GET")
    operation = _s3_operation(method, bool(sep and key), bucket == "", query, headers)
    if operation is None:
        return None
    op = model.operation_model(operation)
    payload = op.input_shape.serialization.get("payload") if op.input_shape is not None else None
    body = b""
    if payload and op.input_shape.members[payload].type_name in ("structure", "string"):
        body = _read_body(environ)  # small documents; blob payloads (object bytes) stay unread
    params = _s3_params(op, environ, query, headers, bucket or None, key or None, body)
    try:
        _check_s3(operation, op, params, headers)
    except _S3Refusal as refusal:
        return _s3_error(start_response, refusal.code, refusal.message, refusal.extra)
    _run_hooks(RequestInfo(service, operation, "rest-xml", params, environ))
    return None


def _run_hooks(info):
    for hook in _request_hooks:
        hook(info)


# Every request goes through _validate before moto's dispatcher sees it.
if os.environ.get("SMCD_MOTO_VALIDATE", "1") != "0":
    import moto.server as _moto_server

    class _ValidatingDispatcher(_moto_server.DomainDispatcherApplication):
        def __call__(self, environ, start_response):
            refused = _validate(environ, start_response)
            if refused is not None:
                return refused
            return super().__call__(environ, start_response)

    _moto_server.DomainDispatcherApplication = _ValidatingDispatcher


# Model registry idempotency.

_orig_create_package_group = sm_models.SageMakerModelBackend.create_model_package_group
_orig_backend_create_package = sm_models.SageMakerModelBackend.create_model_package


def create_model_package_group(self, model_package_group_name, *args, **kwargs):
    existing = self.model_package_groups.get(model_package_group_name)
    if existing is not None:
        raise ValidationError(message=f"Model Package Group already exists: {existing.arn}")
    return _orig_create_package_group(self, model_package_group_name, *args, **kwargs)


def create_model_package(self, *args, **kwargs):
    token = kwargs.get("client_token")
    tokens = self.__dict__.setdefault("_smcd_client_tokens", {})
    if token and token in tokens and tokens[token] in self.model_packages:
        return tokens[token]
    arn = _orig_backend_create_package(self, *args, **kwargs)
    if token:
        tokens[token] = arn
    return arn


sm_models.SageMakerModelBackend.create_model_package_group = create_model_package_group
sm_models.SageMakerModelBackend.create_model_package = create_model_package
# SageMaker Search over model packages (promotion: lineage lookup). Owned by the promotion
# engineer; keep edits local to this section.
#
# smcd promote finds the target copies of a source package with Search (Resource ModelPackage,
# filters on ModelPackageGroupName, ModelApprovalStatus and Tags.smcd:source-model-package-arn)
# instead of describing every package of the target group. moto 5.2.1's Search reads a tag
# filter's Value even for Exists (HTTP 500), stops evaluating at the first tag filter (so later
# filters are ignored), knows only Equals for tags, ignores MaxResults/NextToken and leaves Tags
# out of the results. This serves Search for ModelPackage the way SageMaker documents it: every
# filter must hold (Equals, NotEquals, Exists, NotExists, In, Contains on ModelPackageGroupName,
# ModelApprovalStatus, ModelPackageArn and Tags.<key>), an unknown property is a
# ValidationException, results carry Tags, and MaxResults/NextToken page them (creation order).
# Other resource types keep moto's behaviour.
# ---------------------------------------------------------------------------------------------

_orig_response_search = sm_responses.SageMakerResponse.search
_SEARCH_PROPERTIES = {
    "ModelPackageGroupName": lambda p: p.model_package_group_name,
    "ModelApprovalStatus": lambda p: p.model_approval_status,
    "ModelPackageArn": lambda p: p.arn,
}


def _package_tags(package):
    return {t.get("Key"): t.get("Value") for t in (package.tags or [])}


def _search_property(package, name):
    """(present, value) of a filter property on a package; ValidationError when unknown."""
    if name.startswith("Tags."):
        tags = _package_tags(package)
        key = name[len("Tags."):]
        return key in tags, tags.get(key)
    getter = _SEARCH_PROPERTIES.get(name)
    if getter is None:
        raise ValidationError(message=f"Unknown property name: {name}")
    value = getter(package)
    return value is not None, value


def _search_match(package, f):
    present, value = _search_property(package, f.get("Name", ""))
    op = f.get("Operator", "Equals")
    want = f.get("Value")
    if op == "Exists":
        return present
    if op == "NotExists":
        return not present
    if want is None:
        raise ValidationError(message=f"Operator {op} requires a Value (filter {f.get('Name')})")
    if op == "Equals":
        return present and value == want
    if op == "NotEquals":
        return not present or value != want
    if op == "In":
        return present and value in want.split(",")
    if op == "Contains":
        return present and want in str(value)
    raise ValidationError(message=f"Unsupported operator {op} for {f.get('Name')}")


def _response_search(self):
    if self._get_param("Resource") != "ModelPackage":
        return _orig_response_search(self)
    expression = self._get_param("SearchExpression") or {}
    if expression.get("NestedFilters") or expression.get("SubExpressions"):
        raise ValidationError(message="smcd_moto: only Filters are supported in a ModelPackage search")
    filters = expression.get("Filters") or []
    packages = sorted(self.sagemaker_backend.model_packages.values(), key=lambda p: p.creation_time)
    matched = [p for p in packages if all(_search_match(p, f) for f in filters)]
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or 50)
    page = matched[start:start + size]
    results = []
    for p in page:
        record = p.gen_response_object()
        record["Tags"] = list(p.tags or [])
        results.append({"ModelPackage": record})
    out = {"Results": results}
    if start + size < len(matched):
        out["NextToken"] = str(start + size)
    return ActionResult(out)


sm_responses.SageMakerResponse.search = _response_search


if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
