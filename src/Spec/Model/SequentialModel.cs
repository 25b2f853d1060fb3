using ManagerVerified.Core;

namespace ManagerVerified.Spec.Model;

/// <summary>
/// The reference semantics of the manager, one operation at a time: which slots are free (as a LIFO
/// stack, the order the real free-list hands them out when nothing runs concurrently), which tokens
/// are live with which messages, which generations each slot has issued, and the error every
/// operation must return.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <remarks>
/// Written from the specification, not from the implementation: a token is valid when its slot holds
/// a live message of its generation; stale when its slot issued that generation and has freed it;
/// bad otherwise (default, index out of range, or a generation the slot never issued). A slot whose
/// generation is exhausted is retired instead of reused.
/// </remarks>
public sealed class SequentialModel<TPayload>
{
    private readonly Stack<int> _free = new();
    private readonly ulong _firstGeneration;
    private readonly ulong[] _nextGeneration;   // the generation the slot's next Store issues
    private readonly bool[] _live;
    private readonly bool[] _retired;
    private readonly Message<TPayload>[] _messages;

    /// <summary>Creates the model of an empty manager.</summary>
    /// <param name="capacity">The capacity.</param>
    /// <param name="firstGeneration">The generation every slot issues first (1 in production).</param>
    public SequentialModel(int capacity, ulong firstGeneration = SlotWord.FirstGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _firstGeneration = firstGeneration;
        _nextGeneration = new ulong[capacity];
        Array.Fill(_nextGeneration, firstGeneration);
        _live = new bool[capacity];
        _retired = new bool[capacity];
        _messages = new Message<TPayload>[capacity];
        for (int i = capacity - 1; i >= 0; i--)
        {
            _free.Push(i);
        }
    }

    private SequentialModel(SequentialModel<TPayload> other)
    {
        Capacity = other.Capacity;
        _firstGeneration = other._firstGeneration;
        _nextGeneration = (ulong[])other._nextGeneration.Clone();
        _live = (bool[])other._live.Clone();
        _retired = (bool[])other._retired.Clone();
        _messages = (Message<TPayload>[])other._messages.Clone();
        _free = new Stack<int>(other._free.Reverse());
    }

    /// <summary>An independent copy (models are values: a state-machine test keeps every step's state).</summary>
    public SequentialModel<TPayload> Clone() => new(this);

    /// <summary>The capacity.</summary>
    public int Capacity { get; }

    /// <summary>The number of free slots.</summary>
    public int Available => _free.Count;

    /// <summary>The number of live messages.</summary>
    public int LiveCount => _live.Count(l => l);

    /// <summary>The free slots, top first.</summary>
    public IReadOnlyList<int> FreeSlots => _free.ToArray();

    /// <summary>The live tokens.</summary>
    public IEnumerable<MessageToken> LiveTokens
    {
        get
        {
            for (int i = 0; i < Capacity; i++)
            {
                if (_live[i])
                {
                    yield return new MessageToken(i, _nextGeneration[i]);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="slot"/> holds a live message.</summary>
    public bool IsLive(int slot) => _live[slot];

    /// <summary>Store: the top free slot, with its next generation.</summary>
    public MemoryError Store(Message<TPayload> message, out MessageToken token)
    {
        if (_free.Count == 0)
        {
            token = default;
            return MemoryError.NoFreeSlots;
        }

        int slot = _free.Pop();
        _live[slot] = true;
        _messages[slot] = message;
        token = new MessageToken(slot, _nextGeneration[slot]);
        return MemoryError.None;
    }

    /// <summary>Read (and PeekHeader): the message, or why not.</summary>
    public MemoryError Read(MessageToken token, out Message<TPayload> message)
    {
        MemoryError error = Check(token, MemoryError.StaleToken);
        message = error == MemoryError.None ? _messages[token.Index] : default;
        return error;
    }

    /// <summary>Write: replaces the message, or says why not.</summary>
    public MemoryError Write(MessageToken token, Message<TPayload> message)
    {
        MemoryError error = Check(token, MemoryError.StaleToken);
        if (error == MemoryError.None)
        {
            _messages[token.Index] = message;
        }

        return error;
    }

    /// <summary>Free: the token's message is dropped, its generation retired, its slot back on top of the free stack.</summary>
    public MemoryError Free(MessageToken token)
    {
        MemoryError error = Check(token, MemoryError.NotAllocated);
        if (error != MemoryError.None)
        {
            return error;
        }

        int slot = token.Index;
        _live[slot] = false;
        _messages[slot] = default;
        if (_nextGeneration[slot] == SlotWord.MaxGeneration)
        {
            _retired[slot] = true; // exhausted: never reused
        }
        else
        {
            _nextGeneration[slot]++;
            _free.Push(slot);
        }

        return MemoryError.None;
    }

    /// <summary>The error an operation with <paramref name="token"/> gets when no borrow is in the way.</summary>
    public MemoryError Check(MessageToken token, MemoryError staleError)
    {
        int slot = token.Index;
        return slot >= Capacity
            ? MemoryError.BadToken
            : TokenRules.Classify(token, Capacity, _firstGeneration, _nextGeneration[slot], _live[slot], _retired[slot], staleError);
    }
}
