namespace ManagerVerified;

/// <summary>A message: a header and a payload, stored by value in a manager slot.</summary>
/// <typeparam name="TPayload">The payload type. A struct payload keeps the hot paths allocation-free.</typeparam>
public struct Message<TPayload>
{
    /// <summary>Creates a message.</summary>
    /// <param name="header">The header.</param>
    /// <param name="payload">The payload.</param>
    public Message(MessageHeader header, TPayload payload)
    {
        Header = header;
        Payload = payload;
    }

    /// <summary>The message's header.</summary>
    public MessageHeader Header;

    /// <summary>The message's payload.</summary>
    public TPayload Payload;
}
