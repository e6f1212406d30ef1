using System.Security.Claims;
using Analytics.Data.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Analytics.Tenancy;

/// <summary>
/// A request's one database transaction, under the caller's organization: row-level security
/// (migration 0016) lets its statements see and write that organization's rows and no other's,
/// whatever a query's own filter says. Endpoints get it from <see cref="TenantTransactions.WithTenantTransaction"/>:
/// it begins before the handler and commits when the handler succeeded, before the response is
/// written, so a 2xx means committed; a refusal (4xx) or an exception rolls everything back.
/// </summary>
public sealed class TenantTransaction(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;

    /// <summary>The open connection, inside the transaction.</summary>
    public NpgsqlConnection Connection => _connection
        ?? throw new InvalidOperationException("The endpoint has no tenant transaction: add WithTenantTransaction() to its route group");

    internal async Task BeginAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        _connection = await dataSource.OpenConnectionAsync(cancellationToken);
        _transaction = await _connection.BeginTransactionAsync(cancellationToken);
        await TenantContext.EnterAsync(_connection, caller.OrgId(), caller.Actor(), cancellationToken);
    }

    internal async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _transaction!.CommitAsync(cancellationToken);
        await _transaction.DisposeAsync();
        _transaction = null;
    }

    /// <summary>Rolls back whatever was not committed and returns the connection to the pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync();
        }
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}

public static class TenantTransactions
{
    /// <summary>One <see cref="TenantTransaction"/> per request, for endpoints that ask for it.</summary>
    public static IServiceCollection AddTenantTransactions(this IServiceCollection services) =>
        services.AddScoped<TenantTransaction>();

    /// <summary>
    /// Runs each endpoint of <paramref name="builder"/> in the caller's <see cref="TenantTransaction"/>,
    /// committed when the endpoint's result is a success.
    /// </summary>
    public static TBuilder WithTenantTransaction<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var tenant = http.RequestServices.GetRequiredService<TenantTransaction>();
            await tenant.BeginAsync(http.User, http.RequestAborted);
            var result = await next(context);
            if (Succeeded(result))
            {
                await tenant.CommitAsync(http.RequestAborted);
            }
            return result;
        });

    private static bool Succeeded(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }
        return result is not IStatusCodeHttpResult { StatusCode: >= 400 };
    }
}
