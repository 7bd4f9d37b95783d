// Reads each file named on the command line with a real client-side parser and
// prints one "RESULT <json>" line per file; anything else on stdout or stderr
// is the parsers' own logging (warnings), which the tests require to be empty.
const fs = require("fs");
const pt = require("podcast-partytime");
const { WebVTTParser } = require("webvtt-parser");

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  let result;
  if (file.endsWith(".vtt")) {
    const tree = new WebVTTParser().parse(text, "metadata");
    result = {
      cues: tree.cues.map((cue) => ({ start: cue.startTime, end: cue.endTime, text: cue.text })),
      errors: tree.errors,
    };
  } else {
    const feed = pt.parseFeed(text, { allowMissingGuid: false });
    result = feed && {
      title: feed.title,
      image: feed.itunesImage || (feed.image && feed.image.url),
      guid: feed.guid,
      pc20support: feed.pc20support,
      podroll: feed.podroll,
      pubsub: feed.pubsub,
      items: feed.items.map((item) => ({
        guid: item.guid,
        image: item.itunesImage,
        chapters: item.podcastChapters,
        transcripts: item.podcastTranscripts,
        description: item.description,
        content: item.content,
      })),
    };
  }
  console.log("RESULT " + JSON.stringify({ file, result }));
}
