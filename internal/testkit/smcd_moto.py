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

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
