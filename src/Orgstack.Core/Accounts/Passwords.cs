using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Orgstack.Core.Common;

namespace Orgstack.Core.Accounts;

/// <summary>
/// ASP.NET Core Identity's password hasher (PBKDF2-HMAC-SHA512) at the configured iteration count.
/// Verification of a hash made with fewer iterations reports that it needs rehashing.
/// </summary>
public sealed class Passwords : IDisposable
{
    private readonly PasswordHasher<User> hasher;
    private readonly Orgstack.Core.Common.PasswordOptions options;
    private readonly string dummyHash;
    private readonly System.Collections.Concurrent.BlockingCollection<Work> queue = new();
    private readonly Thread[] workers;
    private int waiting;

    /// <summary>One queued hash computation and the task its caller awaits.</summary>
    private abstract class Work
    {
        public abstract void Run();
        public abstract void Cancel();
        public abstract bool IsCancellationRequested { get; }
    }

    private sealed class Work<T> : Work
    {
        private readonly Func<T> work;
        private readonly CancellationToken ct;
        private readonly CancellationTokenRegistration registration;

        public Work(Func<T> work, CancellationToken ct)
        {
            this.work = work;
            this.ct = ct;
            // A caller that gives up stops waiting at once; its queued item is skipped when its turn comes.
            registration = ct.CanBeCanceled ? ct.Register(static w => ((Work<T>)w!).Cancel(), this) : default;
        }

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool IsCancellationRequested => ct.IsCancellationRequested || Done.Task.IsCompleted;

        public override void Run()
        {
            registration.Dispose();
            try { Done.TrySetResult(work()); }
            catch (Exception e) { Done.TrySetException(e); }
        }

        public override void Cancel()
        {
            Done.TrySetCanceled(ct);
        }
    }

    public Passwords(OrgstackOptions options)
    {
        this.options = options.Passwords;
        hasher = new PasswordHasher<User>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = options.Passwords.Iterations,
        }));
        dummyHash = hasher.HashPassword(null!, Secrets.NewToken());
        var slots = options.Passwords.MaxConcurrentHashes > 0 ? options.Passwords.MaxConcurrentHashes : Environment.ProcessorCount;
        MaxConcurrent = Math.Max(1, slots);
        workers = new Thread[MaxConcurrent];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(HashLoop) { IsBackground = true, Name = $"orgstack-hash-{i}" };
            workers[i].Start();
        }
    }

    private void HashLoop()
    {
        foreach (var work in queue.GetConsumingEnumerable())
        {
            Interlocked.Decrement(ref waiting);
            if (work.IsCancellationRequested) work.Cancel();
            else work.Run();
        }
    }

    /// <summary>How many hash computations may run at once (default: one per processor).</summary>
    public int MaxConcurrent { get; }

    /// <summary>Requests waiting for a hashing slot right now (for tests and metrics).</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>
    /// Runs one hash computation in a bounded slot: a flood of sign-ins queues here (asynchronously, holding no thread)
    /// instead of occupying every worker thread, so other endpoints keep answering. The slots are threads of their own,
    /// one per slot: a hash holds its CPU for a long time, and on the thread pool it kept pool threads from the rest of
    /// the request (reading the next sign-in, writing its session), so slots stood idle while work waited for a thread
    /// (sign-ins reached 0.69 of the raw hash rate; bench/README.md).
    /// </summary>
    public Task<T> BoundedAsync<T>(Func<T> work, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled<T>(ct);
        var item = new Work<T>(work, ct);
        Interlocked.Increment(ref waiting);
        try
        {
            queue.Add(item, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Shutting down: the queue takes no more work.
            Interlocked.Decrement(ref waiting);
            throw new ObjectDisposedException(nameof(Passwords));
        }
        return item.Done.Task;
    }

    public Task<PasswordVerificationResult> VerifyAsync(string? hash, string password, CancellationToken ct) =>
        BoundedAsync(() => Verify(hash, password), ct);

    public Task<string> HashAsync(string password, CancellationToken ct) => BoundedAsync(() => Hash(password), ct);

    public Task VerifyDummyAsync(string password, CancellationToken ct) => BoundedAsync(() => { VerifyDummy(password); return 0; }, ct);

    public void Dispose()
    {
        queue.CompleteAdding();
        foreach (var worker in workers) worker.Join(TimeSpan.FromSeconds(5));
        queue.Dispose();
    }

    public int Iterations => options.Iterations;

    public string Hash(string password) => hasher.HashPassword(null!, password);

    public PasswordVerificationResult Verify(string? hash, string password)
    {
        // An account without a password (or no account) still costs one hash, so timing does not reveal it.
        if (hash is null)
        {
            hasher.VerifyHashedPassword(null!, dummyHash, password);
            return PasswordVerificationResult.Failed;
        }
        return hasher.VerifyHashedPassword(null!, hash, password);
    }

    /// <summary>Spend the time of one verification without an account.</summary>
    public void VerifyDummy(string password) => hasher.VerifyHashedPassword(null!, dummyHash, password);

    /// <summary>The password policy: length bounds, no trivial or breached-looking passwords, no email or product name.</summary>
    public Error? CheckPolicy(string? password, string? email = null)
    {
        if (string.IsNullOrEmpty(password) || password.Length < options.MinimumLength)
            return Error.Validation("password.too_short", $"The password must be at least {options.MinimumLength} characters long.", "password", $"must be at least {options.MinimumLength} characters.");
        if (password.Length > options.MaximumLength)
            return Error.Validation("password.too_long", $"The password must be at most {options.MaximumLength} characters long.", "password", $"must be at most {options.MaximumLength} characters.");
        var lower = password.ToLowerInvariant();
        if (CommonPasswords.Contains(lower) || password.Distinct().Count() <= 2 || IsSequence(lower))
            return Error.Validation("password.too_common", "This password is too common or too easy to guess. Choose another one.", "password", "is too common.");
        if (lower.Contains("orgstack") && lower.Length < options.MinimumLength + 8
            || (email is not null && email.Split('@')[0].Length >= 4 && lower.Contains(email.Split('@')[0].ToLowerInvariant())))
            return Error.Validation("password.contextual", "The password must not contain your email address or the product name.", "password", "contains a context word.");
        return null;
    }

    private static bool IsSequence(string value)
    {
        if (value.Length < 4) return false;
        var ascending = true;
        var descending = true;
        for (var i = 1; i < value.Length; i++)
        {
            ascending &= value[i] == value[i - 1] + 1;
            descending &= value[i] == value[i - 1] - 1;
        }
        return ascending || descending;
    }

    private static readonly HashSet<string> CommonPasswords = new(StringComparer.Ordinal)
    {
        "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd", "p@ssword",
        "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "qwertyuiop", "qwerty123", "qwerty12",
        "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "abc12345", "abcd1234", "iloveyou", "sunshine", "princess",
        "football", "baseball", "welcome1", "welcome123", "letmein1", "letmein123", "admin123", "administrator",
        "trustno1", "superman", "batman123", "starwars", "dragon12", "monkey123", "master123", "changeme", "changeme123",
        "secret123", "whatever", "computer", "internet", "asdfghjkl", "asdf1234", "zxcvbnm1", "michelle", "jennifer",
        "12341234", "qwer1234", "q1w2e3r4", "aa123456", "password!", "passw0rd!", "welcome!", "summer2024", "winter2024",
        "summer2025", "winter2025", "summer2026", "winter2026", "spring2026", "autumn2026", "contentstack",
    };
}
