using Analytics.Data.Identity;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http;

namespace Analytics.Tests.Tenancy;

public sealed class RefreshTokenUseTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly RefreshTokenUse Fresh = new() { UserId = Guid.NewGuid(), SessionId = Guid.NewGuid(), OrgId = "org-a", ExpiresAt = Now.AddDays(1) };

    [Fact]
    public void A_token_works_once()
    {
        Assert.Equal(RefreshTokenVerdict.Rotate, RefreshTokenUse.Decide(Fresh, Now));
        Assert.Equal(RefreshTokenVerdict.Reused, RefreshTokenUse.Decide(Fresh with { RevokedAt = Now.AddMinutes(-1) }, Now));
    }

    [Fact]
    public void Unknown_expired_and_disabled_tokens_are_refused()
    {
        Assert.Equal(RefreshTokenVerdict.Unknown, RefreshTokenUse.Decide(null, Now));
        Assert.Equal(RefreshTokenVerdict.Expired, RefreshTokenUse.Decide(Fresh with { ExpiresAt = Now }, Now));
        Assert.Equal(RefreshTokenVerdict.Disabled, RefreshTokenUse.Decide(Fresh with { DisabledAt = Now.AddHours(-1), RevokedAt = Now.AddHours(-1) }, Now));
    }

    [Theory]
    [InlineData("Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", true)]
    [InlineData("Bearer ak_QmFzZTY0VXJsS2V5LXdpdGgtbm8tZG90cy1hdC1hbGw", false)]
    [InlineData("Bearer a.b", false)]
    [InlineData("Bearer a..b", false)]
    [InlineData("Basic a.b.c", false)]
    public void The_shape_of_the_bearer_value_picks_the_handler(string authorization, bool jwt)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;

        Assert.Equal(jwt, TenancyExtensions.CarriesJwt(context.Request));
    }

    [Fact]
    public void A_key_in_x_api_key_is_always_a_key()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer a.b.c";
        context.Request.Headers["X-Api-Key"] = "ak_key";

        Assert.False(TenancyExtensions.CarriesJwt(context.Request));
    }
}
