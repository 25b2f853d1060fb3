namespace ManagerVerified;

/// <summary>Why a manager operation failed. <see cref="None"/> means success.</summary>
/// <remarks>An operation that fails never changes state: no message is lost, the available count is
/// unchanged and the slot stays as it was.</remarks>
public enum MemoryError
{
    /// <summary>Success.</summary>
    None = 0,

    /// <summary>Store found no free slot at its linearization point.</summary>
    NoFreeSlots = 1,

    /// <summary>The token is <c>default</c>, its index is out of range, or its generation was never issued by that slot.
    /// (A token of another manager gets <see cref="ForeignToken"/>.)</summary>
    BadToken = 2,

    /// <summary>Read, write or header access with a token whose message has been freed.</summary>
    StaleToken = 3,

    /// <summary>Free of a token whose message has already been freed.</summary>
    NotAllocated = 4,

    /// <summary>A non-blocking read found the slot write-locked, or a non-blocking write found it read- or write-locked.</summary>
    AlreadyBorrowed = 5,

    /// <summary>A non-blocking free found a guard held on the slot.</summary>
    BorrowActive = 6,

    /// <summary>A non-blocking read or header access found the most read guards a slot can count
    /// (2,097,151) already held on it; a blocking one waits until one is released.</summary>
    ReaderLimit = 7,

    /// <summary>A timed read, write, header access or free gave up: the conflicting borrow outlasted its timeout.</summary>
    Timeout = 8,

    /// <summary>A guard's release matched no borrow of its generation (a copy of the guard released after
    /// the guard itself, or a release after the slot was freed). Thrown by the guard's Dispose; nothing changed.</summary>
    NotBorrowed = 9,

    /// <summary>The message is poisoned: a write guard was disposed without
    /// <see cref="WriteGuard{TPayload}.Commit"/> (an exception ended the write scope), so the message may be half
    /// written. Reads, writes and header copies get this until the owner replaces the whole message
    /// (<see cref="ConcurrentMemoryManager{TPayload}.Replace(MessageToken, Message{TPayload})"/>) or frees it.</summary>
    Poisoned = 10,

    /// <summary>The token was issued by another manager; nothing was changed.</summary>
    ForeignToken = 11,
}

/// <summary>Thrown by the blocking (non-Try) manager methods when an operation fails.</summary>
public sealed class MemoryManagerException : InvalidOperationException
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">The error; must not be <see cref="MemoryError.None"/>.</param>
    public MemoryManagerException(MemoryError error)
        : base(Describe(error))
    {
        Error = error;
    }

    /// <summary>Creates an exception for <paramref name="error"/> with a more specific message.</summary>
    /// <param name="error">The error.</param>
    /// <param name="message">The message.</param>
    public MemoryManagerException(MemoryError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates an exception with no specific error (<see cref="MemoryError.None"/>).</summary>
    public MemoryManagerException()
        : this(MemoryError.None)
    {
    }

    /// <summary>Creates an exception with a custom message.</summary>
    /// <param name="message">The message.</param>
    public MemoryManagerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a custom message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public MemoryManagerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error that made the operation fail.</summary>
    public MemoryError Error { get; }

    private static string Describe(MemoryError error) => error switch
    {
        MemoryError.NoFreeSlots => "No free slot: the manager is full.",
        MemoryError.BadToken => "The token is not a token this manager issued (default, out of range, or an unissued generation).",
        MemoryError.StaleToken => "The token's message has been freed.",
        MemoryError.NotAllocated => "The token's message has already been freed.",
        MemoryError.AlreadyBorrowed => "The slot is borrowed in a conflicting mode.",
        MemoryError.BorrowActive => "A guard is held on the slot.",
        MemoryError.ReaderLimit => "The slot already has the most read guards it can count.",
        MemoryError.Timeout => "A conflicting borrow outlasted the timeout.",
        MemoryError.NotBorrowed => "The guard's borrow was already released (a copied guard released twice?); nothing was changed.",
        MemoryError.Poisoned => "The message is poisoned: a write guard was disposed without Commit(); replace the message or free it.",
        MemoryError.ForeignToken => "The token was issued by another manager; nothing was changed.",
        _ => "Unspecified memory manager error.",
    };
}
