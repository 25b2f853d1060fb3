namespace ManagerVerified.Tests.Unit;

/// <summary>A guard's release or commit, and the error it threw (None when it returned): guards are ref
/// structs, so they cannot enter a lambda for <c>Assert.Throws</c>; passed by ref, they are not copied.</summary>
internal static class GuardErrors
{
    internal static MemoryError Release<T>(ref ReadGuard<T> guard)
    {
        try
        {
            guard.Dispose();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    internal static MemoryError Release<T>(ref WriteGuard<T> guard)
    {
        try
        {
            guard.Dispose();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    internal static MemoryError Release(ref HeaderGuard guard)
    {
        try
        {
            guard.Dispose();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    internal static MemoryError Commit<T>(ref WriteGuard<T> guard)
    {
        try
        {
            guard.Commit();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }
}
