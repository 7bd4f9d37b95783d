<?xml version="1.0" encoding="utf-8"?>
<!-- The podcast feed as a page, for a person who taps RSS in a browser: what a feed is and how to
     subscribe. Podcast apps ignore it. Referenced by the feed's xml-stylesheet instruction. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" exclude-result-prefixes="itunes">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>
  <xsl:template match="/rss/channel">
    <html lang="ja">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="title"/>（ポッドキャストのフィード）</title>
        <link rel="stylesheet" href="/static/css/site.css"/>
      </head>
      <body>
        <header class="site-header"><div class="wrap"><a class="site-name" href="/"><xsl:value-of select="title"/></a></div></header>
        <main class="wrap feed-page">
          <p class="feed-about"><strong>これはポッドキャストのフィード（RSS）です。</strong>
            このページのアドレスをポッドキャストアプリの「URL で番組を追加」に貼り付けると、新しいエピソードが自動で届きます。</p>
          <p><a class="button" href="{link}">番組のページを開く</a></p>
          <h1><xsl:value-of select="title"/></h1>
          <xsl:if test="itunes:image/@href"><img class="feed-artwork" src="{itunes:image/@href}" alt="" width="160" height="160"/></xsl:if>
          <p><xsl:value-of select="description"/></p>
          <h2>最近のエピソード</h2>
          <ol class="feed-items">
            <xsl:for-each select="item[position() &lt;= 30]">
              <li><a href="{link}"><xsl:value-of select="title"/></a>
                <span class="meta"><xsl:text> </xsl:text><xsl:value-of select="substring(pubDate, 6, 11)"/></span></li>
            </xsl:for-each>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
