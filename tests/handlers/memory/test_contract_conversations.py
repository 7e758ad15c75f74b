"""Contract: each chat's conversation state and the snapshot an update reads first, alike in
memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

from storage.checkins.conversations import StorageKey
from storage.models import ConversationState, ConversationStep
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import checkin, customer, link, purchase

KEY = StorageKey("telegram", 11, 11)


async def test_a_fresh_state_is_idle_and_saving_counts_versions(ports: PortsBackend) -> None:
    conversations = ports.repos.conversations
    fresh = await conversations.get_state(KEY)
    assert (fresh.step, fresh.version, fresh.checkin_id, fresh.data) == ("idle", 0, None, {})
    assert await ports.rows(ConversationState) == []  # reading stores nothing
    fresh.step, fresh.data = ConversationStep.AWAITING_ORDER, {"tries": 1}
    await conversations.save_state(fresh)
    assert fresh.version == 1
    one, two = await conversations.get_state(KEY), await conversations.get_state(KEY)
    assert (one.step, one.version, one.data) == ("awaiting_order", 1, {"tries": 1})
    one.data["tries"] = 2  # a copy: changing it changes nothing stored
    assert (await conversations.get_state(KEY)).data == {"tries": 1}
    await conversations.save_state(one)
    await conversations.save_state(two)  # stale: the store counts on from what it has
    assert (one.version, two.version) == (2, 2)
    stored = await conversations.get_state(KEY)
    assert (stored.version, stored.data) == (3, {"tries": 1})


async def test_clearing_one_chat_or_every_chat_of_a_check_in(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    c1, c2 = checkin(kim.id), checkin(kim.id)
    await ports.seed(c1, c2)
    conversations = ports.repos.conversations
    keys = [StorageKey("telegram", chat, chat) for chat in (1, 2, 3)]
    for key, checkin_id in zip(keys, (c1.id, c1.id, c2.id), strict=True):
        state = await conversations.get_state(key)
        state.checkin_id, state.step = checkin_id, ConversationStep.QUESTION
        await conversations.save_state(state)
    await conversations.clear_states_for_checkin(c1.id)
    assert [s.chat_id for s in await ports.rows(ConversationState)] == [3]
    await conversations.clear_state(StorageKey("telegram", 3, 99))  # another user: kept
    assert [s.chat_id for s in await ports.rows(ConversationState)] == [3]
    await conversations.clear_state(keys[2])
    assert await ports.rows(ConversationState) == []


async def test_a_snapshot_reads_state_customer_and_check_in_together(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    bought = await ports.one(purchase(kim.id, "A-1", product="Teapot"))
    await ports.seed(link(kim.id, "t1", chat_id=KEY.chat_id))
    at, other = checkin(kim.id, purchase_id=bought.id), checkin(kim.id)
    await ports.seed(at, other)
    conversations = ports.repos.conversations
    state = await conversations.get_state(KEY)
    state.checkin_id, state.step, state.question_index = at.id, ConversationStep.QUESTION, 2
    await conversations.save_state(state)
    for read in (conversations.chat_snapshot, conversations.read_snapshot):
        found, who, context = await read(KEY)
        assert (found.step, found.question_index) == ("question", 2)
        assert who is not None and who.id == kim.id
        assert context is not None
        assert (context.checkin.id, context.chat_id, context.product) == (at.id, 11, "Teapot")
        _, _, asked = await read(KEY, other.id)
        assert asked is not None and (asked.checkin.id, asked.product) == (other.id, None)
    nobody = StorageKey("telegram", 99, 99)
    found, who, context = await conversations.chat_snapshot(nobody)
    assert (found.step, found.chat_id, who, context) == ("idle", 99, None, None)
    found, who, context = await conversations.read_snapshot(StorageKey("whatsapp", 11, 11))
    assert who is None  # the chat id is Telegram's
