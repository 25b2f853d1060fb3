namespace ManagerVerified.Tests.Unit;

/// <summary>Small helpers to build messages in tests.</summary>
internal static class TestMessages
{
    internal static Message<long> Of(long value) =>
        new(new MessageHeader { Sequence = (ulong)value, TraceId = 7, QoS = QoSClass.Critical, Flags = MessageFlags.Control }, value);

    internal static ConcurrentMemoryManager<long> Manager(int capacity) => new(capacity);
}
