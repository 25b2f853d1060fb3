using System.Text;
using ManagerVerified.Core;
using ManagerVerified.Spec.Linearizability;

namespace ManagerVerified.Spec.Model;

/// <summary>
/// The one sequential specification of the manager, written from the error table, not from the slot
/// word: LIFO free slots, generations (StaleToken/NotAllocated for an issued one or one before the
/// first, BadToken for one never issued, retirement at the last), the content each slot holds (who stored it, which write is the
/// last), borrows (readers up to SlotWord.MaxReaders, a writer: AlreadyBorrowed, BorrowActive,
/// ReaderLimit, blocking, and a timed wait's Timeout while the conflict lasts), poisoning (a write released
/// without commit: Poisoned for reads and writes until a Replace or a Free), the manager's identity
/// (ForeignToken) and a slot "in transit" between a Free's invalidation and its recycle. The model-based tests drive its whole operations
/// (<see cref="Store"/>, <see cref="Read"/>, <see cref="Write"/>, <see cref="Free"/>); the linearizability
/// checker replays recorded steps with <see cref="TryApply"/>, which uses the same rules. Immutable:
/// every operation returns a new state.
/// </summary>
public sealed class SpecState : IEquatable<SpecState>
{
    private readonly UInt128[] _generation; // the generation the slot issues next (or has live)
    private readonly byte[] _flags;         // Live | Retired | InTransit | Writer | Freeing | Poisoned
    private readonly int[] _readers;
    private readonly long[] _owner;
    private readonly long[] _version;
    private readonly int[] _free;           // free stack, top last
    private readonly uint _managerId;
    private int _hash;

    private const byte Live = 1, Retired = 2, InTransit = 4, Writer = 8, Freeing = 16, Poisoned = 32;

    /// <summary>The state of a new manager of <paramref name="capacity"/> slots whose identity is <paramref name="managerId"/>.</summary>
    public SpecState(int capacity, uint managerId)
        : this(capacity, managerId, SlotWord.FirstGeneration)
    {
    }

    /// <summary>The state of a new manager whose slots start at <paramref name="firstGeneration"/>.</summary>
    public SpecState(int capacity, uint managerId, UInt128 firstGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfZero(managerId);
        _managerId = managerId;
        _generation = Enumerable.Repeat(firstGeneration, capacity).ToArray();
        _flags = new byte[capacity];
        _readers = new int[capacity];
        _owner = new long[capacity];
        _version = new long[capacity];
        _free = Enumerable.Range(0, capacity).Reverse().ToArray();
    }

    private SpecState(SpecState o, int[]? free = null)
    {
        _generation = (UInt128[])o._generation.Clone();
        _flags = (byte[])o._flags.Clone();
        _readers = (int[])o._readers.Clone();
        _owner = (long[])o._owner.Clone();
        _version = (long[])o._version.Clone();
        _free = free ?? o._free;
        _managerId = o._managerId;
    }

    /// <summary>The capacity.</summary>
    public int Capacity => _flags.Length;

    /// <summary>The free slots (between whole operations, the available count).</summary>
    public int Available => _free.Length;

    /// <summary>Store: the top free slot with the generation it issues next, holding <paramref name="owner"/>'s content.
    /// (The top is the single-list manager's choice, for sequential predictions; the manager may return any free
    /// slot, which <see cref="TryApply"/> accepts: see <see cref="StoreAt"/>.)</summary>
    public MemoryError Store(long owner, out MessageToken token, out SpecState next) =>
        StoreAt(_free.Length == 0 ? -1 : _free[^1], owner, out token, out next);

    /// <summary>Store into free slot <paramref name="slot"/>: the sharded free-list hands out any free slot (whichever
    /// shard a thread starts from), so a store is correct when the slot it returns was free. NoFreeSlots only when
    /// none is; BadToken (a result no store returns) when <paramref name="slot"/> is not free.</summary>
    public MemoryError StoreAt(int slot, long owner, out MessageToken token, out SpecState next)
    {
        next = this;
        token = default;
        if (_free.Length == 0)
        {
            return MemoryError.NoFreeSlots;
        }

        int position = Array.IndexOf(_free, slot);
        if (position < 0)
        {
            return MemoryError.BadToken;
        }

        token = new MessageToken(slot, _generation[slot], _managerId);
        next = new SpecState(this, [.. _free[..position], .. _free[(position + 1)..]]);
        next._flags[slot] = Live;
        next._owner[slot] = owner;
        next._version[slot] = 0;
        return MemoryError.None;
    }

    /// <summary>A whole Read (or PeekHeader, or TryCopyHeader) with no borrow held: the content's owner
    /// and the last write's version (0 when never written), or why not.</summary>
    public MemoryError Read(MessageToken token, out long owner, out long version)
    {
        MemoryError error = Check(token, MemoryError.StaleToken, allowPoisoned: false);
        owner = error == MemoryError.None ? _owner[token.Index] : 0;
        version = error == MemoryError.None ? _version[token.Index] : 0;
        return error;
    }

    /// <summary>A whole Write with no borrow held: the slot's content becomes write <paramref name="version"/>;
    /// or, when the write is not <paramref name="committed"/> (its scope ended by an exception), the slot is poisoned.</summary>
    public MemoryError Write(MessageToken token, long version, out SpecState next, bool committed = true)
    {
        next = this;
        MemoryError error = Check(token, MemoryError.StaleToken, allowPoisoned: false);
        if (error == MemoryError.None)
        {
            next = new SpecState(this);
            if (committed)
            {
                next._version[token.Index] = version;
            }
            else
            {
                next._flags[token.Index] |= Poisoned;
            }
        }

        return error;
    }

    /// <summary>A whole Replace with no borrow held: the content becomes write <paramref name="version"/> and
    /// any poison is cleared.</summary>
    public MemoryError Replace(MessageToken token, long version, out SpecState next)
    {
        next = this;
        MemoryError error = Check(token, MemoryError.StaleToken, allowPoisoned: true);
        if (error == MemoryError.None)
        {
            next = new SpecState(this);
            next._version[token.Index] = version;
            next._flags[token.Index] &= unchecked((byte)~Poisoned);
        }

        return error;
    }

    /// <summary>A whole Free with no borrow held: the content is dropped, the generation advanced (or the
    /// slot retired at the last one), the slot back on top of the free stack.</summary>
    public MemoryError Free(MessageToken token, out SpecState next)
    {
        next = this;
        MemoryError error = Check(token, MemoryError.NotAllocated, allowPoisoned: true);
        if (error == MemoryError.None)
        {
            next = Invalidated(token.Index);
            if ((next._flags[token.Index] & Retired) == 0)
            {
                next = new SpecState(next, [.. next._free, token.Index]);
                next._flags[token.Index] = 0;
            }
        }

        return error;
    }

    /// <summary>
    /// None when the slot holds the live content of the token's generation; <paramref name="staleError"/>
    /// (StaleToken for borrows, NotAllocated for Free) when the slot issued that generation and has freed
    /// it (or retired with it); BadToken otherwise (default, index out of range, a raw value no token has, or a generation the slot
    /// never issued); ForeignToken for another manager's token; Poisoned for a poisoned message unless
    /// <paramref name="allowPoisoned"/> (Free and Replace).
    /// </summary>
    public MemoryError Check(MessageToken token, MemoryError staleError, bool allowPoisoned = false)
    {
        int slot = token.Index;
        if (token.ManagerId != _managerId)
        {
            return token.ManagerId == 0 ? MemoryError.BadToken : MemoryError.ForeignToken;
        }

        // A token is its slot, generation and manager encoded one way: any other raw value (spare bits set)
        // was never issued, whatever the token's own accessors make of it.
        if (token.Generation == 0 || slot >= Capacity || new MessageToken(slot, token.LowGeneration, token.Epoch, token.ManagerId) != token)
        {
            return MemoryError.BadToken;
        }

        UInt128 generation = _generation[slot];
        if ((_flags[slot] & Live) != 0 && token.Generation == generation)
        {
            return (_flags[slot] & Poisoned) != 0 && !allowPoisoned ? MemoryError.Poisoned : MemoryError.None;
        }

        // A slot that starts at a later generation (a verification build) is taken to have issued and
        // freed every generation before it, as the manager, which cannot know the start, answers.
        bool issued = token.Generation < generation || (token.Generation == generation && (_flags[slot] & Retired) != 0);
        return issued ? staleError : MemoryError.BadToken;
    }

    /// <summary>The state after a Free of <paramref name="slot"/> dropped its content: the next generation
    /// in transit to the free stack, or retired at the last one.</summary>
    private SpecState Invalidated(int slot)
    {
        var next = new SpecState(this);
        next._owner[slot] = 0;
        next._version[slot] = 0;
        if (_generation[slot] == SlotWord.MaxGeneration)
        {
            next._flags[slot] = Retired;
        }
        else
        {
            next._generation[slot]++;
            next._flags[slot] = InTransit;
        }

        return next;
    }

    /// <summary>Applies <paramref name="step"/>: null when the step cannot take effect now (it would
    /// block) or when its recorded result differs from what the specification returns.</summary>
    /// <param name="step">The step.</param>
    /// <param name="matchResult">False for a pending step, whose result is unknown: any result goes.</param>
    public SpecState? TryApply(in Step step, bool matchResult = true)
    {
        switch (step.Kind)
        {
            case StepKind.Store:
            {
                // A store that returned a token is matched against the slot it names; any other against the top.
                MemoryError error = matchResult && step.Error == MemoryError.None
                    ? StoreAt(step.Token.Index, step.Owner, out MessageToken token, out SpecState next)
                    : Store(step.Owner, out token, out next);
                return !matchResult || (step.Error == error && (error != MemoryError.None || (step.Token == token && step.Owner != 0))) ? next : null;
            }

            case StepKind.AcquireRead:
                return Acquire(step, matchResult, exclusive: false, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, seesContent: true, allowPoisoned: false, 0);

            case StepKind.AcquireWrite:
                return Acquire(step, matchResult, exclusive: true, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, seesContent: true, allowPoisoned: false, Writer);

            case StepKind.FreeAcquire:
                return Acquire(step, matchResult, exclusive: true, MemoryError.NotAllocated, MemoryError.BorrowActive, seesContent: false, allowPoisoned: true, Writer | Freeing);

            case StepKind.Replace:
                // Takes the slot exclusively (poisoned or not); the call's ReleaseWrite step publishes.
                return Acquire(step, matchResult, exclusive: true, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, seesContent: false, allowPoisoned: true, Writer);

            case StepKind.CopyHeader:
            {
                MemoryError error = Check(step.Token, MemoryError.StaleToken, allowPoisoned: false);
                if (error == MemoryError.None && (_flags[step.Token.Index] & Writer) != 0)
                {
                    error = MemoryError.AlreadyBorrowed;
                }

                if (!matchResult)
                {
                    return this;
                }

                if (step.Error != error)
                {
                    return null;
                }

                return error != MemoryError.None || (step.Owner == _owner[step.Token.Index] && step.Version == _version[step.Token.Index]) ? this : null;
            }

            case StepKind.PhantomReaders:
            {
                // Read borrows without guards: only on the token's live message, with no writer, within the limit.
                int s = step.Token.Index;
                long readers = Check(step.Token, MemoryError.StaleToken, allowPoisoned: true) == MemoryError.None && (_flags[s] & Writer) == 0
                    ? _readers[s] + step.Version
                    : -1;
                if (readers < 0 || readers > SlotWord.MaxReaders)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._readers[s] = (int)readers;
                return next;
            }

            case StepKind.ReleaseRead:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // a guard's copy (or, once a copy released it, the guard) refused: it held nothing
                }

                int s = step.Token.Index;
                if (s >= Capacity || _readers[s] == 0)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._readers[s]--;
                return next;
            }

            case StepKind.ReleaseWrite:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // a Replace that failed, or a guard's copy refused: it held nothing to release
                }

                int s = step.Token.Index;
                if (s >= Capacity || (_flags[s] & Writer) == 0)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._flags[s] &= unchecked((byte)~Writer);
                next._version[s] = step.Version;
                next._flags[s] &= unchecked((byte)~Poisoned);
                return next;
            }

            case StepKind.AbortWrite:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // a copy's release refused: it held nothing to release
                }

                int s = step.Token.Index;
                if (s >= Capacity || (_flags[s] & Writer) == 0)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._flags[s] = (byte)((next._flags[s] & ~Writer) | Poisoned);
                return next;
            }

            case StepKind.FreeInvalidate:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // the Free failed: nothing was invalidated
                }

                int s = step.Token.Index;
                if (s >= Capacity || (_flags[s] & Freeing) == 0 || step.Token.Generation != _generation[s])
                {
                    return null; // only after this token's Free took the slot
                }

                return Invalidated(s);
            }

            case StepKind.FreeRecycle:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // the Free failed: nothing was recycled
                }

                int s = step.Token.Index;
                if (s >= Capacity)
                {
                    return null;
                }

                if ((_flags[s] & Retired) != 0)
                {
                    return this;
                }

                if ((_flags[s] & InTransit) == 0)
                {
                    return null; // no Free of this slot is between its invalidation and its recycle
                }

                var next = new SpecState(this, [.. _free, s]);
                next._flags[s] = 0;
                return next;
            }

            default:
                return null;
        }
    }

    /// <summary>A read borrow, a write borrow or a Free's exclusive acquire, with the same rules as the
    /// manager's lock: check the token, then wait (blocking: cannot take effect now) or fail (Try) while a
    /// conflicting borrow is held; an exclusive acquire conflicts with readers too.</summary>
    private SpecState? Acquire(in Step step, bool matchResult, bool exclusive, MemoryError staleError, MemoryError busyError, bool seesContent, bool allowPoisoned, byte flags)
    {
        MemoryError error = Check(step.Token, staleError, allowPoisoned);
        int s = step.Token.Index;
        bool full = error == MemoryError.None && !exclusive && _readers[s] == SlotWord.MaxReaders;
        if (error == MemoryError.None && ((_flags[s] & Writer) != 0 || (exclusive && _readers[s] > 0) || full))
        {
            if (!step.Try)
            {
                // A blocking acquire cannot take effect while the conflict lasts; a timed one may give up
                // while it does (Timeout, nothing taken). A call without a timeout never gives up.
                return matchResult && step.Error == MemoryError.Timeout && step.Timed ? this : null;
            }

            error = (_flags[s] & Writer) == 0 && full ? MemoryError.ReaderLimit : busyError;
        }

        if (matchResult && step.Error != error)
        {
            return null;
        }

        if (error != MemoryError.None)
        {
            return this;
        }

        if (matchResult && seesContent && (step.Owner != _owner[s] || step.Version != _version[s]))
        {
            return null;
        }

        var next = new SpecState(this);
        if (exclusive)
        {
            next._flags[s] |= flags;
        }
        else
        {
            next._readers[s]++;
        }

        return next;
    }

    /// <inheritdoc />
    public bool Equals(SpecState? other) =>
        other is not null && GetHashCode() == other.GetHashCode()
        && _generation.AsSpan().SequenceEqual(other._generation) && _flags.AsSpan().SequenceEqual(other._flags)
        && _readers.AsSpan().SequenceEqual(other._readers) && _owner.AsSpan().SequenceEqual(other._owner)
        && _version.AsSpan().SequenceEqual(other._version) && _free.AsSpan().SequenceEqual(other._free);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SpecState);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = new HashCode();
            for (int i = 0; i < Capacity; i++)
            {
                h.Add(_generation[i]);
                h.Add(_flags[i]);
                h.Add(_readers[i]);
                h.Add(_owner[i]);
                h.Add(_version[i]);
            }

            foreach (int f in _free)
            {
                h.Add(f);
            }

            _hash = h.ToHashCode() | 1;
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("free=[").AppendJoin(',', _free).Append("] ");
        for (int i = 0; i < Capacity; i++)
        {
            sb.Append(i).Append(":g").Append(_generation[i]).Append((_flags[i] & Live) != 0 ? "L" : string.Empty)
              .Append((_flags[i] & InTransit) != 0 ? "T" : string.Empty).Append((_flags[i] & Poisoned) != 0 ? "P" : string.Empty).Append((_flags[i] & Freeing) != 0 ? "F" : string.Empty).Append((_flags[i] & Writer) != 0 ? "W" : string.Empty)
              .Append(_readers[i] > 0 ? $"R{_readers[i]}" : string.Empty).Append(' ');
        }

        return sb.ToString();
    }
}
