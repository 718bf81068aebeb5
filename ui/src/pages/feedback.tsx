// Feedback: what people said about finished runs, by agent and rating, with their corrections.
import { useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { Json, Time } from "../components/format";
import { Async, Empty } from "../components/states";
import { useResource } from "../hooks";

export function FeedbackPage() {
  const [rating, setRating] = useState<"up" | "down" | "">("");
  const [agent, setAgent] = useState("");
  const agents = useResource(() => api.listAgents(), []);
  const list = useResource(() => api.feedback({ rating, agent }), [rating, agent], 10_000);
  return (
    <section>
      <h1>Feedback</h1>
      <div class="filters">
        <div class="field">
          <label for="feedback-rating">Rating</label>
          <select id="feedback-rating" value={rating} onChange={(e) => setRating(e.currentTarget.value as "up" | "down" | "")}>
            <option value="">all</option>
            <option value="up">up</option>
            <option value="down">down</option>
          </select>
        </div>
        <div class="field">
          <label for="feedback-agent">Agent</label>
          <select id="feedback-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
            <option value="">all</option>
            {(agents.data?.agents ?? []).map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Async res={list} what="feedback">
        {({ feedback }) =>
          feedback.length === 0 ? (
            <Empty>No feedback{rating || agent ? " matches these filters" : " yet: rate a finished run from its page"}.</Empty>
          ) : (
            <ul class="cards">
              {feedback.map((f) => (
                <li key={f.id} class="card" data-feedback={f.id}>
                  <h2>
                    {f.rating === "up" ? "👍" : "👎"} <span class="mono">{f.agent}</span>
                  </h2>
                  <p>
                    <a href={`/runs/${f.run_id}`} class="mono">
                      {f.run_id}
                    </a>
                    {f.step ? `, step ${f.step}` : ""} · <Time at={f.created_at} />
                  </p>
                  {f.comment && <p>{f.comment}</p>}
                  {f.correction !== null && f.correction !== undefined && <Json value={f.correction} label="Correction" />}
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}
