using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Seam;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Model;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The manager against its sequential model (ManagerVerified.Spec): random sequences of every
/// operation and Try-variant over live, stale, default and foreign tokens, on capacities 1-8, with
/// production and narrow tags and with tags starting just below their wrap. Every result, every token
/// and the available count must match the model.
/// </summary>
public sealed class ModelMachineTests
{
    /// <summary>The identity both the manager and the model use (fixed, so tokens compare across runs);
    /// tokens of <c>ManagerId + 1</c> are foreign.</summary>
    private const uint ManagerId = 7;

    [Property(MaxTest = 400)]
    public Property Manager_AgreesWithTheSpecification() => new ManagerMachine().ToProperty();

    /// <summary>The system under test plus the tokens it has handed out.</summary>
    internal sealed class Actual(IMemoryManager<long> manager, string description)
    {
        internal IMemoryManager<long> Manager { get; } = manager;

        public override string ToString() => description;
    }

    /// <summary>The model plus every token it has issued (so operations can pick stale ones), and what
    /// the last operation must have returned. Immutable from step to step: Run returns a new Model.</summary>
    internal sealed class Model
    {
        private readonly string _description;

        internal Model(int capacity, string description)
            : this(new SpecState(capacity, ManagerId), [], description)
        {
        }

        private Model(SpecState spec, List<MessageToken> issued, string description)
        {
            Spec = spec;
            Issued = issued;
            _description = description;
        }

        /// <summary>The specification's state; contents are named by payload (a store's owner, a write's version).</summary>
        internal SpecState Spec { get; set; }

        internal List<MessageToken> Issued { get; }

        internal MemoryError Expected { get; set; }

        internal MessageToken ExpectedToken { get; set; }

        internal Message<long> ExpectedMessage { get; set; }

        internal Model Next() => new(Spec, [.. Issued], _description);

        public override string ToString() => $"{_description} available={Spec.Available} issued={Issued.Count} expect={Expected}";
    }

    private sealed class ManagerMachine() : Machine<Actual, Model>(50)
    {
        public override Arbitrary<Setup<Actual, Model>> Setup =>
            (from capacity in Gen.Choose(1, 8)
             from tagBits in Gen.Elements<int?>(null, 0, 1, 2, 3, 4)
             from nearWrap in Gen.Elements(false, true)
             select (Setup<Actual, Model>)new ManagerSetup(capacity, tagBits, nearWrap)).ToArbitrary();

        public override Gen<Operation<Actual, Model>> Next(Model model)
        {
            var candidates = new List<MessageToken>(model.Issued) { default, new MessageToken(model.Spec.Capacity + 3, 1, ManagerId), new MessageToken(0, 1_000_000, ManagerId), new MessageToken(0, 1, ManagerId + 1), MessageToken.FromRawValue((UInt128)ManagerId << 96) };
            Gen<MessageToken> token = Gen.Elements(candidates.ToArray());
            Gen<bool> tryOnly = Gen.Elements(false, true);
            Gen<long> payload = Gen.Choose(1, 1_000_000).Select(v => (long)v);
            return Gen.OneOf(
                from p in payload from t in tryOnly select (Operation<Actual, Model>)new StoreOp(p, t),
                from k in token from t in tryOnly from h in Gen.Elements(false, true) select (Operation<Actual, Model>)new ReadOp(k, t, h),
                from k in token from p in payload from t in tryOnly from c in Gen.Elements(true, true, false) select (Operation<Actual, Model>)new WriteOp(k, p, t, c),
                from k in token from p in payload from t in tryOnly select (Operation<Actual, Model>)new ReplaceOp(k, p, t),
                from k in token from t in tryOnly select (Operation<Actual, Model>)new FreeOp(k, t),
                from k in token from w in Gen.Elements(false, true) select (Operation<Actual, Model>)new BorrowConflictOp(k, w),
                from k in token select (Operation<Actual, Model>)new CopyHeaderOp(k));
        }
    }

    private sealed class ManagerSetup(int capacity, int? tagBits, bool nearWrap) : Setup<Actual, Model>
    {
        private string Description => $"capacity={capacity} tag={(tagBits is int b ? $"{b}b" : "full")}{(nearWrap ? " near-wrap" : string.Empty)}";

        public override Actual Actual()
        {
            ulong startTag = tagBits is int b ? (nearWrap ? (1UL << b) - 1 : 0) : (nearWrap ? HeadLayout.ForCapacity(capacity).TagMask - 1 : 0);
            SlotManager<long, ProductionSeam> core = tagBits is int bits
                ? VerificationManagers.CreateNarrowTag<long, ProductionSeam>(capacity, default, bits, startTag, managerId: ManagerId)
                : VerificationManagers.Create<long, ProductionSeam>(capacity, default, startTag, managerId: ManagerId);
            return new Actual(VerificationManagers.Public(core), Description);
        }

        public override Model Model() => new(capacity, Description);
    }

    /// <summary>The model after a read-only operation with <paramref name="token"/>: what Read returns.</summary>
    private static Model ExpectRead(Model model, MessageToken token)
    {
        Model next = model.Next();
        next.Expected = next.Spec.Read(token, out long owner, out long version);
        next.ExpectedMessage = next.Expected == MemoryError.None ? TestMessages.Of(version != 0 ? version : owner) : default;
        return next;
    }

    private static Property Agree(Actual actual, Model model, MemoryError expected, MemoryError got, string what) =>
        (expected == got && actual.Manager.Available == model.Spec.Available)
            .Label($"{what}: model {expected}, manager {got}; available model {model.Spec.Available}, manager {actual.Manager.Available}");

    private sealed class StoreOp(long payload, bool tryOnly) : Operation<Actual, Model>
    {
        public override Model Run(Model model)
        {
            Model next = model.Next();
            next.Expected = next.Spec.Store(payload, out MessageToken token, out SpecState after);
            next.Spec = after;
            next.ExpectedToken = token;
            if (next.Expected == MemoryError.None)
            {
                next.Issued.Add(token);
            }

            return next;
        }

        public override Property Check(Actual actual, Model model)
        {
            MessageToken token;
            MemoryError error;
            if (tryOnly)
            {
                actual.Manager.TryStore(TestMessages.Of(payload), out token, out error);
            }
            else
            {
                try
                {
                    token = actual.Manager.Store(TestMessages.Of(payload));
                    error = MemoryError.None;
                }
                catch (MemoryManagerException e)
                {
                    token = default;
                    error = e.Error;
                }
            }

            return Agree(actual, model, model.Expected, error, ToString()).And((token == model.ExpectedToken).Label($"token: model {model.ExpectedToken}, manager {token}"));
        }

        public override string ToString() => $"{(tryOnly ? "TryStore" : "Store")}({payload})";
    }

    private sealed class ReadOp(MessageToken token, bool tryOnly, bool headerOnly) : Operation<Actual, Model>
    {
        public override Model Run(Model model) => ExpectRead(model, token);

        public override Property Check(Actual actual, Model model)
        {
            MemoryError error;
            bool same = true;
            if (headerOnly)
            {
                error = Peek(actual, out MessageHeader header);
                same = error != MemoryError.None || header == model.ExpectedMessage.Header;
            }
            else
            {
                error = Read(actual, out Message<long> message);
                same = error != MemoryError.None || (message.Payload == model.ExpectedMessage.Payload && message.Header == model.ExpectedMessage.Header);
            }

            return Agree(actual, model, model.Expected, error, ToString()).And(same.Label("the message read differs from the model's"));
        }

        private MemoryError Read(Actual actual, out Message<long> message)
        {
            message = default;
            if (tryOnly)
            {
                if (!actual.Manager.TryRead(token, out ReadGuard<long> guard, out MemoryError error))
                {
                    return error;
                }

                try
                {
                    message = guard.Value;
                }
                finally
                {
                    guard.Dispose();
                }

                return MemoryError.None;
            }

            try
            {
                using ReadGuard<long> guard = actual.Manager.Read(token);
                message = guard.Value;
                return MemoryError.None;
            }
            catch (MemoryManagerException e)
            {
                return e.Error;
            }
        }

        private MemoryError Peek(Actual actual, out MessageHeader header)
        {
            header = default;
            if (tryOnly)
            {
                if (!actual.Manager.TryPeekHeader(token, out HeaderGuard guard, out MemoryError error))
                {
                    return error;
                }

                try
                {
                    header = guard.Value;
                }
                finally
                {
                    guard.Dispose();
                }

                return MemoryError.None;
            }

            try
            {
                using HeaderGuard guard = actual.Manager.PeekHeader(token);
                header = guard.Value;
                return MemoryError.None;
            }
            catch (MemoryManagerException e)
            {
                return e.Error;
            }
        }

        public override string ToString() => $"{(tryOnly ? "Try" : string.Empty)}{(headerOnly ? "PeekHeader" : "Read")}({token})";
    }

    /// <summary>A write; when not <paramref name="commit"/>, its scope ends by an exception half way (poison).</summary>
    private sealed class WriteOp(MessageToken token, long payload, bool tryOnly, bool commit) : Operation<Actual, Model>
    {
        public override Model Run(Model model)
        {
            Model next = model.Next();
            next.Expected = next.Spec.Write(token, payload, out SpecState after, commit);
            next.Spec = after;
            return next;
        }

        public override Property Check(Actual actual, Model model)
        {
            MemoryError error;
            if (tryOnly)
            {
                if (actual.Manager.TryWrite(token, out WriteGuard<long> guard, out error))
                {
                    try
                    {
                        guard.Value.Header.Sequence = (ulong)payload; // half of the write
                        if (commit)
                        {
                            guard.Value = TestMessages.Of(payload);
                            guard.Commit();
                        }
                    }
                    finally
                    {
                        guard.Dispose();
                    }
                }
            }
            else
            {
                try
                {
                    WriteThrowingUnlessCommitted(actual.Manager, token, payload, commit);
                    error = MemoryError.None;
                }
                catch (MemoryManagerException e)
                {
                    error = e.Error;
                }
                catch (InvalidOperationException) when (!commit)
                {
                    error = MemoryError.None; // the write's own failure: the slot is poisoned
                }
            }

            return Agree(actual, model, model.Expected, error, ToString());
        }

        private static void WriteThrowingUnlessCommitted(IMemoryManager<long> manager, MessageToken token, long payload, bool commit)
        {
            using WriteGuard<long> guard = manager.Write(token);
            guard.Value.Header.Sequence = (ulong)payload;
            if (!commit)
            {
                throw new InvalidOperationException("the write failed half way");
            }

            guard.Value = TestMessages.Of(payload);
            guard.Commit();
        }

        public override string ToString() => $"{(tryOnly ? "TryWrite" : "Write")}({token}, {payload}{(commit ? string.Empty : ", throws")})";
    }

    private sealed class ReplaceOp(MessageToken token, long payload, bool tryOnly) : Operation<Actual, Model>
    {
        public override Model Run(Model model)
        {
            Model next = model.Next();
            next.Expected = next.Spec.Replace(token, payload, out SpecState after);
            next.Spec = after;
            return next;
        }

        public override Property Check(Actual actual, Model model)
        {
            MemoryError error;
            if (tryOnly)
            {
                actual.Manager.TryReplace(token, TestMessages.Of(payload), out error);
            }
            else
            {
                try
                {
                    actual.Manager.Replace(token, TestMessages.Of(payload));
                    error = MemoryError.None;
                }
                catch (MemoryManagerException e)
                {
                    error = e.Error;
                }
            }

            return Agree(actual, model, model.Expected, error, ToString());
        }

        public override string ToString() => $"{(tryOnly ? "TryReplace" : "Replace")}({token}, {payload})";
    }

    private sealed class FreeOp(MessageToken token, bool tryOnly) : Operation<Actual, Model>
    {
        public override Model Run(Model model)
        {
            Model next = model.Next();
            next.Expected = next.Spec.Free(token, out SpecState after);
            next.Spec = after;
            return next;
        }

        public override Property Check(Actual actual, Model model)
        {
            MemoryError error;
            if (tryOnly)
            {
                actual.Manager.TryFree(token, out error);
            }
            else
            {
                try
                {
                    actual.Manager.Free(token);
                    error = MemoryError.None;
                }
                catch (MemoryManagerException e)
                {
                    error = e.Error;
                }
            }

            return Agree(actual, model, model.Expected, error, ToString());
        }

        public override string ToString() => $"{(tryOnly ? "TryFree" : "Free")}({token})";
    }

    private sealed class CopyHeaderOp(MessageToken token) : Operation<Actual, Model>
    {
        public override Model Run(Model model) => ExpectRead(model, token);

        public override Property Check(Actual actual, Model model)
        {
            actual.Manager.TryCopyHeader(token, out MessageHeader header, out MemoryError error);
            bool same = error != MemoryError.None || header == model.ExpectedMessage.Header;
            return Agree(actual, model, model.Expected, error, ToString()).And(same.Label("the copied header differs from the model's"));
        }

        public override string ToString() => $"TryCopyHeader({token})";
    }

    /// <summary>Holds a guard and tries the conflicting Try-operations inside it; changes nothing.</summary>
    private sealed class BorrowConflictOp(MessageToken token, bool write) : Operation<Actual, Model>
    {
        public override Model Run(Model model)
        {
            Model next = model.Next();
            next.Expected = next.Spec.Check(token, MemoryError.StaleToken);
            return next;
        }

        public override Property Check(Actual actual, Model model)
        {
            var m = actual.Manager;
            var seen = new List<string>();
            MemoryError error;
            if (write)
            {
                if (m.TryWrite(token, out WriteGuard<long> guard, out error))
                {
                    try
                    {
                        MemoryError e4 = MemoryError.BorrowActive;
                        // Nested guards are disposed even when a (buggy) manager grants them.
                        m.TryRead(token, out ReadGuard<long> g1, out MemoryError e1);
                        g1.Dispose();
                        m.TryPeekHeader(token, out HeaderGuard g2, out MemoryError e2);
                        g2.Dispose();
                        m.TryWrite(token, out WriteGuard<long> g3, out MemoryError e3);
                        g3.Dispose();
                        if (e1 != MemoryError.None && e2 != MemoryError.None && e3 != MemoryError.None)
                        {
                            m.TryFree(token, out e4);
                        }
                        seen.AddRange(new[] { Expect(e1, MemoryError.AlreadyBorrowed), Expect(e2, MemoryError.AlreadyBorrowed), Expect(e3, MemoryError.AlreadyBorrowed), Expect(e4, MemoryError.BorrowActive) }.Where(s => s.Length > 0));
                        guard.Commit(); // nothing written: the message stays as it was
                    }
                    finally
                    {
                        guard.Dispose();
                    }
                }
            }
            else if (m.TryRead(token, out ReadGuard<long> guard, out error))
            {
                try
                {
                    m.TryWrite(token, out WriteGuard<long> g1, out MemoryError e1);
                    g1.Dispose();
                    MemoryError e2 = MemoryError.BorrowActive;
                    if (e1 != MemoryError.None)
                    {
                        m.TryFree(token, out e2);
                    }
                    bool nested = m.TryPeekHeader(token, out HeaderGuard inner, out MemoryError e3);
                    inner.Dispose();
                    seen.AddRange(new[] { Expect(e1, MemoryError.AlreadyBorrowed), Expect(e2, MemoryError.BorrowActive), nested ? string.Empty : $"nested peek {e3}" }.Where(s => s.Length > 0));
                }
                finally
                {
                    guard.Dispose();
                }
            }

            return Agree(actual, model, model.Expected, error, ToString()).And((seen.Count == 0).Label(string.Join("; ", seen)));
        }

        private static string Expect(MemoryError got, MemoryError want) => got == want ? string.Empty : $"got {got}, want {want}";

        public override string ToString() => $"Hold{(write ? "Write" : "Read")}AndConflict({token})";
    }
}
