namespace ManagerVerified.Bench;

/// <summary>The smallest tagged index Treiber stack (no slots, no locks, no count): the floor our free-list pays.</summary>
internal sealed class BareTaggedStack
{
    private readonly int[] _next;
    private long _head; // low 32 bits: top + 1 (0 = empty); high 32 bits: tag

    public BareTaggedStack(int capacity)
    {
        _next = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _next[i] = i + 2 <= capacity ? i + 2 : 0;
        }

        _head = 1;
    }

    public bool TryPop(out int index)
    {
        long head = Volatile.Read(ref _head);
        while (true)
        {
            int top = (int)(head & 0xFFFFFFFF);
            if (top == 0)
            {
                index = -1;
                return false;
            }

            long next = ((head >> 32) + 1) << 32 | (uint)Volatile.Read(ref _next[top - 1]);
            long seen = Interlocked.CompareExchange(ref _head, next, head);
            if (seen == head)
            {
                index = top - 1;
                return true;
            }

            head = seen;
        }
    }

    public void Push(int index)
    {
        long head = Volatile.Read(ref _head);
        while (true)
        {
            _next[index] = (int)(head & 0xFFFFFFFF);
            long seen = Interlocked.CompareExchange(ref _head, ((head >> 32) + 1) << 32 | (uint)(index + 1), head);
            if (seen == head)
            {
                return;
            }

            head = seen;
        }
    }
}

/// <summary>A reader/writer lock in one int word (readers count up, -1 = writer): the floor a slot lock pays.</summary>
internal sealed class IntWordLock
{
    private int _state;

    public void EnterRead()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s >= 0 && Interlocked.CompareExchange(ref _state, s + 1, s) == s)
            {
                return;
            }
        }
    }

    public void ExitRead() => Interlocked.Decrement(ref _state);

    public void EnterWrite()
    {
        while (Interlocked.CompareExchange(ref _state, -1, 0) != 0)
        {
        }
    }

    public void ExitWrite() => Volatile.Write(ref _state, 0);
}
