namespace Orgstack.Core.Common;

/// <summary>The outcome of a use case: a value, or an <see cref="Error"/> describing a user's mistake.</summary>
public readonly struct Result<T>
{
    private readonly T? value;

    private Result(T? value, Error? error)
    {
        this.value = value;
        Error = error;
    }

    public Error? Error { get; }
    public bool IsSuccess => Error is null;
    public T Value => IsSuccess ? value! : throw new InvalidOperationException($"Result holds error {Error!.Code}.");

    public static implicit operator Result<T>(T value) => new(value, null);
    public static implicit operator Result<T>(Error error) => new(default, error);
}

/// <summary>A result with no value for actions whose success needs no payload.</summary>
public readonly record struct Done
{
    public static readonly Done Value = new();
}
