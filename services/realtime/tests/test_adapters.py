"""Vendor adapters on realistic sample payloads (shapes from each vendor's documentation)."""

from __future__ import annotations

import base64

import orjson
import pytest

from opticall_common.events import AgentEvent
from opticall_realtime.adapters import VENDORS, AdapterError
from opticall_realtime.config import Settings

SETTINGS = Settings(database_url="sqlite://", OPTICALL_ENV="test")


def run(vendor: str, body: object, content_type: str = "application/json") -> list[AgentEvent]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return [AgentEvent.model_validate(e) for e in VENDORS[vendor](raw, content_type, SETTINGS)]


CONNECT_ARN = "arn:aws:connect:us-west-2:123456789012:instance/aaaa-bbbb"
CONNECT_CALL = {
    "AWSAccountId": "123456789012",
    "AgentARN": f"{CONNECT_ARN}/agent/agent-0001",
    "EventId": "477f2c4f-cd1a-4785-b1a8-d1fb44adf9e6",
    "EventTimestamp": "2026-11-25T14:00:05.049Z",
    "EventType": "STATE_CHANGE",
    "InstanceARN": CONNECT_ARN,
    "Version": "2017-10-01",
    "CurrentAgentSnapshot": {
        "AgentStatus": {
            "ARN": f"{CONNECT_ARN}/agent-state/1",
            "Name": "Available",
            "StartTimestamp": "2026-11-25T13:58:00.000Z",
            "Type": "ROUTABLE",
        },
        "Configuration": {
            "FirstName": "Ana",
            "LastName": "Diaz",
            "Username": "ana.diaz",
            "RoutingProfile": {"Name": "Basic Routing Profile"},
        },
        "Contacts": [
            {
                "Channel": "VOICE",
                "ContactId": "c-1",
                "InitiationMethod": "INBOUND",
                "Queue": {"ARN": f"{CONNECT_ARN}/queue/q1", "Name": "BasicQueue"},
                "State": "CONNECTED",
                "StateStartTimestamp": "2026-11-25T14:00:04.000Z",
            }
        ],
    },
}


def test_amazon_connect_contact_and_custom_status_and_kinesis_envelope() -> None:
    (ev,) = run("amazon-connect", CONNECT_CALL)
    assert (ev.agent_id, ev.state, ev.queue) == ("ana.diaz", "on_call", "BasicQueue")
    assert ev.event_id == CONNECT_CALL["EventId"]
    assert ev.timestamp.isoformat() == "2026-11-25T14:00:04+00:00"
    lunch = orjson.loads(orjson.dumps(CONNECT_CALL))
    lunch["CurrentAgentSnapshot"]["Contacts"] = []
    lunch["CurrentAgentSnapshot"]["AgentStatus"].update(Name="Lunch", Type="CUSTOM")
    lunch["EventType"] = "HEART_BEAT"
    kinesis = {"Records": [{"kinesis": {"data": base64.b64encode(orjson.dumps(lunch)).decode()}}]}
    (ev,) = run("amazon-connect", kinesis)
    assert (ev.state, ev.reason) == ("lunch", "Lunch")
    logout = {**CONNECT_CALL, "EventType": "LOGOUT"}
    assert run("amazon-connect", [logout])[0].state == "logged_out"
    with pytest.raises(AdapterError):
        run("amazon-connect", {**CONNECT_CALL, "EventType": "NOPE"})


def test_webex_webhook_and_desktop_message() -> None:
    webhook = {
        "id": "d4f3c6a2-7e0a-4b7c-9a7e-2f5b9b3b1a11",
        "specVersion": "1.0",
        "type": "agent:state_change",
        "orgId": "org-1",
        "createdTime": 1795615200000,
        "data": {
            "agentId": "109332be-7fc4-4d4d-9488-ebdb8e13b9bb",
            "currentState": "idle",
            "idleCodeId": "AXUr0jX9H5Tuplm_IxiC",
            "idleCodeName": "Lunch",
            "teamId": "t-1",
        },
    }
    (ev,) = run("cisco-webex", webhook)
    assert (ev.state, ev.reason, ev.event_id) == ("lunch", "Lunch", webhook["id"])
    desktop = {
        "type": "AgentDesktopMessage",
        "data": {
            "type": "AgentStateChangeSuccess",
            "agentId": "109332be",
            "status": "LoggedIn",
            "subStatus": "Available",
            "auxCodeId": "0",
            "lastStateChangeTimestamp": 1795615260000,
            "trackingId": "notifs_1",
        },
    }
    (ev,) = run("cisco-webex", desktop)
    assert ev.state == "available" and ev.reason is None
    idle = orjson.loads(orjson.dumps(desktop))
    idle["data"].update(subStatus="Idle", auxCodeId="AXU-meeting-code")
    assert run("cisco-webex", idle)[0].state == "not_ready"  # code without a name


FINESSE_XML = b"""<Update>
  <data><user>
    <dialogs>/finesse/api/User/1001001/Dialogs</dialogs>
    <extension>1001001</extension>
    <firstName>Ana</firstName><lastName>Diaz</lastName>
    <loginId>1001001</loginId><loginName>adiaz</loginName>
    <pendingState></pendingState>
    <reasonCode><category>NOT_READY</category><code>32</code><label>Break</label>
      <id>3</id><uri>/finesse/api/ReasonCode/3</uri></reasonCode>
    <roles><role>Agent</role></roles>
    <state>NOT_READY</state>
    <stateChangeTime>2026-11-25T14:10:02.127Z</stateChangeTime>
    <teamId>1</teamId><teamName>Sales</teamName>
  </user></data>
  <event>PUT</event>
  <requestId>2f3b0f1a</requestId>
  <source>/finesse/api/User/1001001</source>
</Update>"""


def test_finesse_xml_and_json() -> None:
    (ev,) = run("cisco-uccx", FINESSE_XML, "application/xml")
    assert (ev.agent_id, ev.state, ev.reason, ev.queue) == ("1001001", "break", "Break", "Sales")
    talking = {
        "user": {
            "loginId": "1001002",
            "state": "TALKING",
            "stateChangeTime": "2026-11-25T14:11:00Z",
        }
    }
    assert run("cisco-uccx", talking)[0].state == "on_call"
    assert (
        run(
            "cisco-uccx",
            [{"loginId": "x", "state": "WORK_READY", "stateChangeTime": "2026-11-25T14:11:00Z"}],
        )[0].state
        == "after_call_work"
    )
    with pytest.raises(AdapterError):
        run("cisco-uccx", b"<Update><data>", "text/xml")
    with pytest.raises(AdapterError):
        run("cisco-uccx", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><user>&a;</user>', "text/xml")


def test_genesys_presence_and_routing_status() -> None:
    presence = {
        "topicName": "v2.users.9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f.presence",
        "version": "2",
        "eventBody": {
            "source": "PURECLOUD",
            "presenceDefinition": {"id": "6a3af858", "systemPresence": "MEAL"},
            "primary": True,
            "message": "",
            "modifiedDate": "2026-11-25T14:20:00.000Z",
        },
        "metadata": {"CorrelationId": "290034f4-c3d7-46fd-8342-ee5bc859b7e9"},
    }
    (ev,) = run("genesys", presence)
    assert (ev.agent_id, ev.state) == ("9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f", "lunch")
    routing = {
        "topicName": "v2.users.9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f.routingStatus",
        "eventBody": {
            "routingStatus": {"status": "INTERACTING", "startTime": "2026-11-25T14:21:00Z"}
        },
        "metadata": {"CorrelationId": "c2"},
    }
    off = {
        **routing,
        "eventBody": {
            "routingStatus": {"status": "OFF_QUEUE", "startTime": "2026-11-25T14:22:00Z"}
        },
    }
    events = run("genesys", [routing, off])
    assert [e.state for e in events] == ["on_call"]
    with pytest.raises(AdapterError):
        run("genesys", {"topicName": "v2.users.x.conversations", "eventBody": {}})


def test_avaya_csv_with_aux_reasons() -> None:
    csv = (
        b"Login ID,State,AUX Reason,Split,Time\n"
        b"5001,AVAIL,,1,2026-11-25T14:30:00+01:00\n"
        b"5002,ACDIN,,1,2026-11-25T13:30:05Z\n"
        b"5003,AUX,2,2,1795616000\n"
        b"5004,AUX,9,2,1795616000\n"
        b"5005,ACW,,2,1795616000\n"
    )
    events = run("avaya", csv, "text/csv")
    assert [e.state for e in events] == [
        "available",
        "on_call",
        "lunch",
        "not_ready",
        "after_call_work",
    ]
    assert events[0].timestamp.isoformat() == "2026-11-25T13:30:00+00:00"
    assert events[3].reason == "aux 9" and events[1].queue == "1"
    with pytest.raises(AdapterError):
        run("avaya", b"Login ID,State,Time\n5001,DANCING,2026-11-25T14:30:00Z\n", "text/csv")
    with pytest.raises(AdapterError):
        run("avaya", b"Login ID,State,Time\n5001,AVAIL,2026-11-25T14:30:00\n", "text/csv")
