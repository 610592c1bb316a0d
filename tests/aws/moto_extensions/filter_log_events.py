"""FilterLogEvents' ``logStreamNamePrefix`` (moto 5 ignores it and searches every stream).

AWS: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
``logStreamNamePrefix``: "Filters the results to include only events from log streams that have
names starting with this prefix. If you specify a value for both logStreamNamePrefix and
logStreamNames, the action returns an InvalidParameterException error." ``orchestrator logs``
reads a SageMaker job's streams (``<job name>/<host>``) by this prefix. Everything else (paging,
``startTime``, the group that does not exist) stays moto's.
"""

from __future__ import annotations

import json

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

_original = LogsResponse.filter_log_events


def _filter_log_events(self: LogsResponse) -> str:
    prefix = self._get_param("logStreamNamePrefix")
    if prefix is None:
        return _original(self)
    if self._get_param("logStreamNames"):
        raise InvalidParameterException(
            msg="logStreamNamePrefix and logStreamNames cannot both be specified"
        )
    group = self._get_param("logGroupName")
    streams = self.logs_backend.groups[group].streams if group in self.logs_backend.groups else {}
    names = [name for name in streams if name.startswith(prefix)]
    if group in self.logs_backend.groups and not names:  # moto: an empty list means every stream
        return json.dumps({"events": [], "searchedLogStreams": []})
    events, token, searched = self.logs_backend.filter_log_events(
        group,
        names,
        self._get_param("startTime"),
        self._get_param("endTime"),
        self._get_param("limit"),
        self._get_param("nextToken"),
        self._get_param("filterPattern"),
        self._get_param("interleaved", False),
    )
    return json.dumps({"events": events, "nextToken": token, "searchedLogStreams": searched})
